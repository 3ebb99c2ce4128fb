/**
 * `npm run soak` (not in CI): the real node path for a long time — the replay server (its own
 * process) streams BTCUSDT trades at a steady rate and diff-depth at 10/s (Binance's @100ms),
 * into Node-RED in this process: market-provider → market-stream-in (trade + book) → a native
 * counting node. RSS and heap are sampled every 10 s; the report gives RSS growth after the
 * warm-up (target < 5 %), and checks that no trade id was skipped or repeated and that book
 * updates came in update-id order.
 *
 * Environment: SOAK_SECONDS (600), SOAK_RATE (trades/s, 2000), SOAK_SAMPLE_S (10),
 * SOAK_WARMUP_S (60, or a fifth of a shorter run). Smoke test: SOAK_SECONDS=30 npm run soak
 */
import type { MarketEvent } from '../src/model/events';
import { sink } from './lib/counter-node';
import { startFlow } from './lib/node-red-flow';
import { ServerProcess, machineInfo } from './lib/processes';
import { guardNetwork } from './lib/harness';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const SECONDS = env('SOAK_SECONDS', 600);
const RATE = env('SOAK_RATE', 2_000);
const SAMPLE_S = env('SOAK_SAMPLE_S', 10);
const WARMUP_S = env('SOAK_WARMUP_S', Math.min(60, SECONDS / 5));
const DEPTH_RATE = 10;

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
  trades: number;
  books: number;
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

async function main(): Promise<void> {
  guardNetwork();
  const machine = machineInfo();
  console.log(`soak: ${SECONDS} s, trades at ${RATE}/s + depth at ${DEPTH_RATE}/s through Node-RED; RSS every ${SAMPLE_S} s, warm-up ${WARMUP_S} s`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${machine.loadAverage.join(' ')}`);
  const server = await ServerProcess.start();
  await server.program([
    { kind: 'trade', count: Infinity, rate: RATE, stampSendTime: false },
    { kind: 'depth', count: Infinity, rate: DEPTH_RATE, stampSendTime: false },
  ]);
  let trades = 0;
  let books = 0;
  let lastTradeId = 0;
  let tradeGaps = 0;
  let tradeRepeats = 0;
  let lastSeq = 0;
  let bookDisorder = 0;
  const other: Record<string, number> = {};
  sink.onPayload = (payload) => {
    const event = payload as MarketEvent;
    if (event.type === 'trade') {
      const id = Number(event.id);
      if (lastTradeId !== 0 && id !== lastTradeId + 1) {
        if (id <= lastTradeId) tradeRepeats += 1;
        else tradeGaps += 1;
      }
      lastTradeId = Math.max(lastTradeId, id);
      trades += 1;
    } else if (event.type === 'book') {
      if ((event.seq ?? 0) <= lastSeq) bookDisorder += 1;
      lastSeq = event.seq ?? lastSeq;
      books += 1;
    } else other[event.type] = (other[event.type] ?? 0) + 1;
  };
  const RED = await startFlow({ wsBase: server.wsBase, restBase: server.restBase, channels: ['trade', 'book'] });
  const started = Date.now();
  const samples: Sample[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const usage = process.memoryUsage();
      const sample: Sample = { atS: Math.round((Date.now() - started) / 1000), rssMb: mb(usage.rss), heapMb: mb(usage.heapUsed), trades, books };
      samples.push(sample);
      console.log(`  ${String(sample.atS).padStart(4)} s  RSS ${sample.rssMb} MB  heap ${sample.heapMb} MB  trades ${trades}  books ${books}`);
      if (Date.now() - started >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, SAMPLE_S * 1000);
  });
  await RED.stop();
  server.stop();
  const afterWarmup = samples.filter((s) => s.atS > WARMUP_S);
  const head = afterWarmup.slice(0, 3);
  const tail = afterWarmup.slice(-3);
  const mean = (list: Sample[]): number => list.reduce((sum, s) => sum + s.rssMb, 0) / Math.max(1, list.length);
  const base = mean(head);
  const end = mean(tail);
  const growthPct = base > 0 ? Math.round(((end - base) / base) * 1000) / 10 : 0;
  const rss = afterWarmup.map((s) => s.rssMb);
  const elapsedS = (Date.now() - started) / 1000;
  const summary = {
    machine,
    seconds: SECONDS,
    tradeRate: RATE,
    depthRate: DEPTH_RATE,
    warmupS: WARMUP_S,
    trades,
    books,
    tradesPerSec: Math.round(trades / elapsedS),
    tradeGaps,
    tradeRepeats,
    bookDisorder,
    other,
    rssAfterWarmupMb: { first: base, last: end, min: Math.min(...rss), max: Math.max(...rss) },
    rssGrowthPct: growthPct,
    samples,
  };
  console.log(`\nRSS after warm-up: ${base.toFixed(1)} MB → ${end.toFixed(1)} MB (mean of the first and last 3 samples): ${growthPct >= 0 ? '+' : ''}${growthPct} % (target < 5 %) ${growthPct < 5 ? 'PASS' : 'MISS'}`);
  console.log(`min/max after warm-up: ${Math.min(...rss)} / ${Math.max(...rss)} MB; trades ${trades} (${summary.tradesPerSec}/s), gaps ${tradeGaps}, repeats ${tradeRepeats}; books ${books}, out of order ${bookDisorder}`);
  console.log(`load average at end: ${machineInfo().loadAverage.join(' ')}`);
  console.log(JSON.stringify(summary));
  process.exit(growthPct < 5 && tradeGaps === 0 && tradeRepeats === 0 && bookDisorder === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
