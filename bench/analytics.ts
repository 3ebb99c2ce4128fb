/**
 * Analytics benchmarks in core (no Node-RED): throughput of FlowClassifier and BookAnalyzer
 * against a baseline loop that only reads the same inputs, measured in the same run, and memory
 * over ten minutes of event time at 10k msgs/s (timestamps advance, the wall clock does not need
 * to). Run with `npm run bench:analytics` (node --expose-gc, so heap samples follow a full GC).
 *
 * Inputs are synthetic but shaped like the feeds: an options universe of 4 underlyings × 200
 * contracts with quotes, prints (often several on one contract within the order window),
 * underlying quotes and summaries; and L2 books of 10 symbols with 25 levels a side.
 */
import { BookAnalyzer, FlowClassifier, type BookSettings, type FlowSettings } from '../src/analytics';
import type { BookEvent, BookLevel, MarketEvent, OptionInfo, QuoteEvent, SummaryEvent, TradeEvent } from '../src/model/events';
import { formatOccSymbol } from '../src/model/occ';

const START = Date.UTC(2026, 10, 20, 15, 0, 0);
const EXCHANGES = ['CBOE', 'C2', 'BZX', 'EDGX', 'ISE', 'GEMX', 'MRX', 'PHLX', 'NOM', 'BX', 'AMEX', 'ARCA', 'BOX', 'MIAX', 'PEARL', 'EMLD'];

/** mulberry32: the same inputs on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Contract {
  symbol: string;
  option: OptionInfo;
  bid: number;
  ask: number;
}

/** Option events at `msgsPerSec` of event time: 55 % option quotes, 35 % prints, 5 % underlying quotes, 5 % summaries. */
function optionsFeed(msgsPerSec: number, seed = 7): () => MarketEvent {
  const next = random(seed);
  const underlyings = [
    { symbol: 'SPY', spot: 600, step: 5 },
    { symbol: 'AAPL', spot: 230, step: 5 },
    { symbol: 'TSLA', spot: 350, step: 10 },
    { symbol: 'NVDA', spot: 180, step: 5 },
  ];
  const contracts: Contract[] = [];
  for (const u of underlyings) {
    for (const expiry of ['2026-11-27', '2026-12-04', '2026-12-11', '2026-12-18', '2027-01-15']) {
      for (let k = -10; k < 10; k++) {
        for (const right of ['call', 'put'] as const) {
          const strike = u.spot + k * u.step;
          const symbol = formatOccSymbol({ root: u.symbol, expiry, right, strike });
          const theo = Math.max(0.05, (right === 'call' ? u.spot - strike : strike - u.spot) + 5);
          contracts.push({ symbol, option: { underlying: u.symbol, expiry, right, strike, multiplier: 100 }, bid: Math.round(theo * 95) / 100, ask: Math.round(theo * 105) / 100 });
        }
      }
    }
  }
  const stepMs = 1000 / msgsPerSec;
  let n = 0;
  return () => {
    const ts = Math.floor(START + n * stepMs);
    n += 1;
    const roll = next();
    const c = contracts[Math.floor(next() * contracts.length)] as Contract;
    if (roll < 0.55) {
      const quote: QuoteEvent = { type: 'quote', provider: 'bench', symbol: c.symbol, ts, receivedAt: ts, option: c.option, bid: c.bid, bidSize: 10, ask: c.ask, askSize: 12 };
      return quote;
    }
    if (roll < 0.9) {
      const atAsk = next() < 0.55;
      const trade: TradeEvent = {
        type: 'trade',
        provider: 'bench',
        symbol: c.symbol,
        ts,
        receivedAt: ts,
        option: c.option,
        price: atAsk ? c.ask : c.bid,
        size: 1 + Math.floor(next() * next() * 400),
        exchange: EXCHANGES[Math.floor(next() * EXCHANGES.length)] as string,
        id: String(n),
        underlyingPrice: underlyings[0]!.spot,
      };
      return trade;
    }
    const u = underlyings[Math.floor(next() * underlyings.length)]!;
    if (roll < 0.95) return { type: 'quote', provider: 'bench', symbol: u.symbol, ts, receivedAt: ts, bid: u.spot - 0.01, bidSize: 100, ask: u.spot + 0.01, askSize: 100 };
    const summary: SummaryEvent = { type: 'summary', provider: 'bench', symbol: c.symbol, ts, receivedAt: ts, option: c.option, volume: 1000, openInterest: 5000 };
    return summary;
  };
}

/** L2 books of 10 symbols, 25 levels a side, fresh arrays every event as a provider sends them. */
function bookFeed(msgsPerSec: number, seed = 11): () => BookEvent {
  const next = random(seed);
  const symbols = Array.from({ length: 10 }, (_, i) => ({ symbol: `SYM${i}`, mid: 100 + i * 37, step: 0.01 * (i + 1) }));
  const stepMs = 1000 / msgsPerSec;
  let n = 0;
  return () => {
    const ts = Math.floor(START + n * stepMs);
    n += 1;
    const s = symbols[n % symbols.length]!;
    s.mid += (next() - 0.5) * s.step * 2;
    const best = Math.round(s.mid / s.step) * s.step;
    const spread = 1 + Math.floor(next() * 3);
    const bids: BookLevel[] = new Array(25);
    const asks: BookLevel[] = new Array(25);
    for (let i = 0; i < 25; i++) {
      bids[i] = [Math.round((best - i * s.step) * 100) / 100, 1 + Math.floor(next() * 50)];
      asks[i] = [Math.round((best + (spread + i) * s.step) * 100) / 100, 1 + Math.floor(next() * 50)];
    }
    return { type: 'book', provider: 'bench', symbol: s.symbol, ts, receivedAt: ts, bids, asks, depth: 25 };
  };
}

function take<T>(feed: () => T, count: number): T[] {
  return Array.from({ length: count }, feed);
}

/** Best of `runs` timings of `body`, in ms. */
function timeBest(runs: number, body: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    body();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

interface Throughput {
  name: string;
  msgs: number;
  baselineMsgsPerSec: number;
  msgsPerSec: number;
  /** Time of the analytics / time of the baseline loop over the same inputs. */
  ratioToBaseline: number;
  outputs: number;
}

function throughput(name: string, inputs: MarketEvent[], baseline: (events: MarketEvent[]) => number, run: (events: MarketEvent[]) => number): Throughput {
  let sink = 0;
  // Warm both paths up (JIT) before timing.
  sink += baseline(inputs) + run(inputs);
  const baseMs = timeBest(5, () => (sink += baseline(inputs)));
  let outputs = 0;
  const ms = timeBest(5, () => (outputs = run(inputs)));
  if (sink === 42) console.log('');
  return {
    name,
    msgs: inputs.length,
    baselineMsgsPerSec: Math.round(inputs.length / (baseMs / 1000)),
    msgsPerSec: Math.round(inputs.length / (ms / 1000)),
    ratioToBaseline: Math.round((ms / baseMs) * 10) / 10,
    outputs,
  };
}

/** The baseline: read what the analytics read, nothing else. */
function readOnly(events: MarketEvent[]): number {
  let sum = 0;
  for (const e of events) {
    sum += e.ts;
    if (e.type === 'trade') sum += e.price * e.size + e.symbol.length;
    else if (e.type === 'quote') sum += (e.bid ?? 0) + (e.ask ?? 0) + e.symbol.length;
    else if (e.type === 'book') sum += (e.bids[0] as BookLevel)[0] + (e.asks[0] as BookLevel)[0] + e.bids.length;
  }
  return sum;
}

function classifyAll(settings: Partial<FlowSettings>) {
  return (events: MarketEvent[]): number => {
    let flows = 0;
    const classifier = new FlowClassifier<undefined>(settings, { flow: () => (flows += 1), stats: () => undefined });
    for (const e of events) classifier.push(e, e.ts, undefined);
    classifier.flush();
    return flows;
  };
}

function analyzeAll(settings: Partial<BookSettings>) {
  return (events: MarketEvent[]): number => {
    let outputs = 0;
    const analyzer = new BookAnalyzer(settings);
    for (const e of events) {
      const result = analyzer.onBook(e as BookEvent);
      if (result.metrics) outputs += 1;
      outputs += result.alerts.length;
    }
    return outputs;
  };
}

interface MemorySample {
  virtualS: number;
  heapUsedMb: number;
  rssMb: number;
}

/** Drives `seconds` of event time at `msgsPerSec`, sampling memory after a full GC every `everyS`. */
function memoryRun(seconds: number, msgsPerSec: number, everyS: number, feed: () => MarketEvent, push: (event: MarketEvent) => void, state: () => Record<string, number>) {
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: Array<MemorySample & Record<string, number>> = [];
  const sample = (virtualS: number): void => {
    gc?.();
    const usage = process.memoryUsage();
    samples.push({ virtualS, heapUsedMb: mb(usage.heapUsed), rssMb: mb(usage.rss), ...state() });
  };
  sample(0);
  const perSample = msgsPerSec * everyS;
  for (let s = everyS; s <= seconds; s += everyS) {
    for (let i = 0; i < perSample; i++) push(feed());
    sample(s);
  }
  return samples;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function flatness(samples: MemorySample[], fromS: number): { heapMinMb: number; heapMaxMb: number; rssMinMb: number; rssMaxMb: number } {
  const after = samples.filter((s) => s.virtualS >= fromS);
  return {
    heapMinMb: Math.min(...after.map((s) => s.heapUsedMb)),
    heapMaxMb: Math.max(...after.map((s) => s.heapUsedMb)),
    rssMinMb: Math.min(...after.map((s) => s.rssMb)),
    rssMaxMb: Math.max(...after.map((s) => s.rssMb)),
  };
}

function throughputPhase(): Throughput[] {
  const optionEvents = take(optionsFeed(10_000), 500_000);
  const books: MarketEvent[] = take(bookFeed(10_000), 200_000);
  const results = [
    throughput('flow-classify: options mix (55 % quotes, 35 % prints), default settings + stats', optionEvents, readOnly, classifyAll({})),
    throughput('book-analytics: 25-level books, rateMs 0 (full metrics on every book)', books, readOnly, analyzeAll({ rateMs: 0, spreadBpsAlert: 5, imbalanceAlert: 0.6 })),
    throughput('book-analytics: 25-level books, defaults (rateMs 1000, imbalance alert 0.6)', books, readOnly, analyzeAll({})),
  ];
  console.log('\nThroughput (best of 5, same inputs for baseline and analytics)');
  console.table(results);
  return results;
}

function memoryPhase() {
  console.log('\nMemory: 10 min of event time at 10k msgs/s; the first 5 min are the warm-up (the 5-min stats window fills)');
  const rate = 10_000;
  let flows = 0;
  const classifier = new FlowClassifier<undefined>({}, { flow: () => (flows += 1), stats: () => undefined });
  const flowSamples = memoryRun(600, rate, 30, optionsFeed(rate, 99), (e) => classifier.push(e, e.ts, undefined), () => ({ flows, openOrders: classifier.openOrders, trackedSymbols: classifier.trackedSymbols }));
  console.log('flow-classify (default settings, stats every 10 s over 5 min)');
  console.table(flowSamples);
  let outputs = 0;
  const analyzer = new BookAnalyzer({ rateMs: 0, spreadBpsAlert: 5 });
  const bookSamples = memoryRun(600, rate, 30, bookFeed(rate, 5), (e) => {
    const result = analyzer.onBook(e as BookEvent);
    outputs += (result.metrics ? 1 : 0) + result.alerts.length;
  }, () => ({ outputs, symbols: analyzer.symbols }));
  console.log('book-analytics (rateMs 0: metrics on every book)');
  console.table(bookSamples);
  return { flowClassify: flatness(flowSamples, 300), bookAnalytics: flatness(bookSamples, 300) };
}

/** `node dist/bench/analytics.js [memory|throughput]`: both by default, memory first while the heap holds no inputs. */
function main(): void {
  if (!(globalThis as { gc?: () => void }).gc) console.warn('run with node --expose-gc for heap samples after a full GC (npm run bench:analytics does)');
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
  const phase = process.argv[2];
  const memory = phase === 'throughput' ? null : memoryPhase();
  if (memory) console.log('\nFlat after warm-up (5 to 10 min of event time):', JSON.stringify(memory));
  const results = phase === 'memory' ? null : throughputPhase();
  console.log(JSON.stringify({ throughput: results, memory }));
}

main();
