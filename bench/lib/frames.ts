/**
 * The market the benchmarks replay, in Binance's wire format (docs/protocols/binance.md
 * §5, §6.1, §6.5, §7): BTCUSDT trades and diff-depth events over a book of about 1000 levels a
 * side, with prices and sizes as strings at 8 decimals and times in ms (µs on connections that
 * asked for `timeUnit=MICROSECOND`). Deterministic for a seed, so the server's frames and the
 * offline book contest apply exactly the same diffs.
 */
import { formatFixed, seededRandom } from '../../test/fakes/binance/market';
import type { ProgramInfo, StreamProgram } from './protocol';

export const SYMBOL = 'BTCUSDT';
export const TRADE_STREAM = 'btcusdt@trade';
export const DEPTH_STREAM = 'btcusdt@depth@100ms';
/** Wire time of the first event; later events step 1 ms (trades) or 100 ms (diffs). */
export const T0 = Date.UTC(2026, 10, 20, 14, 0, 0);

/** Price ticks are 0.01 USDT, sizes lots of 0.00001 BTC, both written with 8 decimals like Binance spot. */
const PRICE_SCALE = 1_000_000; // 0.01 → 8 decimals
const QTY_SCALE = 1_000; // 0.00001 → 8 decimals

export function priceText(ticks: number): string {
  return formatFixed(ticks * PRICE_SCALE, 8);
}

export function qtyText(lots: number): string {
  return formatFixed(lots * QTY_SCALE, 8);
}

export type Level = [string, string];

/** A `depthUpdate` payload, as JSON.parse gives it. */
export interface RawDiff {
  e: 'depthUpdate';
  E: number;
  s: string;
  U: number;
  u: number;
  b: Level[];
  a: Level[];
}

export interface RawSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

/** One side of the generator's true book: ticks sorted best first, lots in parallel. */
class TrueSide {
  readonly ticks: number[] = [];
  readonly lots: number[] = [];
  constructor(private readonly descending: boolean) {}

  find(price: number): number {
    let low = 0;
    let high = this.ticks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = this.ticks[mid] as number;
      if (this.descending ? at > price : at < price) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  set(price: number, lots: number): void {
    const index = this.find(price);
    const found = this.ticks[index] === price;
    if (lots > 0) {
      if (found) this.lots[index] = lots;
      else {
        this.ticks.splice(index, 0, price);
        this.lots.splice(index, 0, lots);
      }
    } else if (found) {
      this.ticks.splice(index, 1);
      this.lots.splice(index, 1);
    }
  }

  levels(limit: number): Level[] {
    const count = Math.min(limit, this.ticks.length);
    const out: Level[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = [priceText(this.ticks[i] as number), qtyText(this.lots[i] as number)];
    return out;
  }
}

/** Levels kept per side, as a REST snapshot of limit 1000 shows them. */
export const BOOK_LEVELS = 1000;

/**
 * A random walk of BTCUSDT's book: each diff changes 5–24 levels, most within a few dozen ticks
 * of the touch (exponential distance), about a third of them deletions, a few inside the spread,
 * the odd deletion of a level that is not there (normal on Binance); never crossed.
 */
export class DepthGenerator {
  readonly bids = new TrueSide(true);
  readonly asks = new TrueSide(false);
  private readonly random: () => number;
  private nextId = 70_000_000_001;
  private index = 0;

  constructor(seed = 42) {
    this.random = seededRandom(seed);
    const mid = 6_500_000; // 65,000.00
    for (let i = 0; i < BOOK_LEVELS; i++) {
      this.bids.set(mid - 1 - i - Math.floor(i / 4), this.lotsOf());
      this.asks.set(mid + 1 + i + Math.floor(i / 4), this.lotsOf());
    }
  }

  /** The book as a REST `/api/v3/depth` answer would show it now. */
  snapshot(limit = BOOK_LEVELS): RawSnapshot {
    return { lastUpdateId: this.nextId - 1, bids: this.bids.levels(limit), asks: this.asks.levels(limit) };
  }

  next(): RawDiff {
    const changes = 5 + Math.floor(this.random() * 20);
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    for (let c = 0; c < changes; c++) {
      const isBid = this.random() < 0.5;
      const side = isBid ? this.bids : this.asks;
      const best = side.ticks[0] as number;
      const other = (isBid ? this.asks : this.bids).ticks[0] as number;
      let price: number;
      const roll = this.random();
      if (roll < 0.05 && Math.abs(other - best) > 1) price = isBid ? best + 1 : best - 1; // inside the spread
      else {
        const distance = Math.floor(-Math.log(1 - this.random()) * 30);
        price = isBid ? best - distance : best + distance;
      }
      const changed = isBid ? bids : asks;
      if (roll > 0.98) {
        // Delete a level that is not in the book (Binance does this; clients must ignore it).
        let missing = price;
        while (side.ticks[side.find(missing)] === missing) missing += isBid ? -1 : 1;
        changed.set(missing, 0);
        continue;
      }
      const exists = side.ticks[side.find(price)] === price;
      let lots: number;
      if (exists && this.random() < 0.35 && side.ticks.length > BOOK_LEVELS * 0.9) lots = 0;
      else lots = this.lotsOf();
      side.set(price, lots);
      changed.set(price, lots);
      if (side.ticks.length > BOOK_LEVELS) {
        // Keep about 1000 levels: the worst one goes.
        const worst = side.ticks[side.ticks.length - 1] as number;
        side.set(worst, 0);
        changed.set(worst, 0);
      }
    }
    const U = this.nextId;
    const u = U + changes - 1;
    this.nextId = u + 1;
    const diff: RawDiff = { e: 'depthUpdate', E: T0 + this.index * 100, s: SYMBOL, U, u, b: levelsOf(bids), a: levelsOf(asks) };
    this.index += 1;
    return diff;
  }

  private lotsOf(): number {
    return 1 + Math.floor(this.random() * this.random() * 200_000);
  }
}

function levelsOf(changes: Map<number, number>): Level[] {
  const out: Level[] = [];
  for (const [ticks, lots] of changes) out.push([priceText(ticks), qtyText(lots)]);
  return out;
}

/** A depth script: the diffs in order and the REST snapshot that lines up after `snapshotAfter` of them. */
export interface DepthScript {
  diffs: RawDiff[];
  /** Diffs sent before the server waits for the snapshot request; the snapshot is older than the last two of them. */
  snapshotAfter: number;
  snapshot: RawSnapshot;
}

/**
 * `count` diffs; the snapshot is the book after diff `snapshotAt - 1` (so the first diffs sent
 * before it are partly older than it, partly newer: both sync rules get exercised).
 */
export function depthScript(count: number, seed = 42, snapshotAt = 3): DepthScript {
  const generator = new DepthGenerator(seed);
  const diffs: RawDiff[] = new Array(count);
  let snapshot: RawSnapshot | null = null;
  for (let i = 0; i < count; i++) {
    if (i === snapshotAt) snapshot = generator.snapshot();
    diffs[i] = generator.next();
  }
  return { diffs, snapshotAfter: snapshotAt + 2, snapshot: snapshot ?? generator.snapshot() };
}

/** Trade `i` of the replay: ids from 4,000,000,001, prices around 65,000, sizes 0.00001–2 BTC. */
export class TradeGenerator {
  private readonly random: () => number;
  private price = 6_500_000;

  constructor(seed = 7) {
    this.random = seededRandom(seed);
  }

  /** The parts of trade `i` that do not depend on when or how it is sent. */
  next(i: number): { id: number; p: string; q: string; m: boolean } {
    const step = this.random();
    if (step < 0.1) this.price -= 1;
    else if (step > 0.9) this.price += 1;
    return { id: 4_000_000_001 + i, p: priceText(this.price), q: qtyText(1 + Math.floor(this.random() * this.random() * 200_000)), m: this.random() < 0.5 };
  }
}

export const FIRST_TRADE_ID = 4_000_000_001;

/** A trade payload (§6.1). `sentAt` (epoch ms, fractional): the latency runs' extra field `L` and the trade time. */
export function tradePayload(trade: { id: number; p: string; q: string; m: boolean }, time: number, extra = ''): string {
  return `{"e":"trade","E":${time},"s":"${SYMBOL}","t":${trade.id},"p":"${trade.p}","q":"${trade.q}","T":${time},"m":${trade.m},"M":true${extra}}`;
}

export function depthPayload(diff: RawDiff, time: number): string {
  return `{"e":"depthUpdate","E":${time},"s":"${diff.s}","U":${diff.U},"u":${diff.u},"b":${JSON.stringify(diff.b)},"a":${JSON.stringify(diff.a)}}`;
}

/** The combined-stream wrapper (§5). */
export function combined(stream: string, payload: string): string {
  return `{"stream":"${stream}","data":${payload}}`;
}

/** Share of the frames left out of the measured window at the start (JIT warm-up, connection set-up). */
const WARMUP_SHARE = 0.1;

/** The measured window of a program: from the frame after the warm-up share to the last one. */
export function programInfo(program: StreamProgram, script: DepthScript | null): ProgramInfo {
  const count = program.count;
  if (!Number.isFinite(count)) return { kind: program.kind, count, markKey: 0, lastKey: 0, measured: 0 };
  const skip = Math.max(script ? script.snapshotAfter : 0, Math.floor(count * WARMUP_SHARE));
  if (script) {
    const mark = script.diffs[skip];
    const last = script.diffs[count - 1];
    return { kind: 'depth', count, markKey: mark ? mark.u : 0, lastKey: last ? last.u : 0, measured: count - skip };
  }
  return { kind: 'trade', count, markKey: FIRST_TRADE_ID + skip, lastKey: FIRST_TRADE_ID + count - 1, measured: count - skip };
}

