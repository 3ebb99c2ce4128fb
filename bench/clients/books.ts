/**
 * (e) Books, offline: the same Binance diff stream (parsed JSON, ~1000 levels a side, 5–24
 * changes a diff) applied by
 *   - `book-ours`: our engine as the adapter runs it (BinanceDepthSync's U/u rules on a
 *     SyncedBook, then the top-N book event with its crossed-book check after every diff);
 *   - `book-ccxt`: ccxt's order book classes (the book `exchange.orderBook()` makes, each level
 *     stored with `side.store(price, size)`, then `limit()`), top-N copied out after every diff;
 *   - `book-map`: a bare Map per side, top-N by sorting the prices after every diff.
 * Every contender reads the top N levels into fresh [price, size] pairs after each diff and
 * sums them: the three sums must be equal (same books), and keep the work from being optimized away.
 * Best of `rounds` passes, each from the snapshot.
 */
import { performance } from 'node:perf_hooks';
import { SyncedBook } from '../../src/book/synced-book';
import { BinanceDepthSync, type DepthSnapshot } from '../../src/providers/binance/book';
import type { DepthDiff } from '../../src/providers/binance/decode';
import type { BookLevel } from '../../src/model/events';
import { depthScript, type DepthScript, type Level, type RawDiff } from '../lib/frames';
import { guardNetwork, readTask, sendResult } from '../lib/harness';

/**
 * Sets the book from `script` (snapshot + the diffs sent around it, as a client syncs), then
 * applies the rest, timed, reading the top `depth` levels after each diff; returns the sum of
 * the levels read and the time the rest took.
 */
type Contender = (script: DepthScript, depth: number) => { sum: number; elapsedMs: number };

/** The diffs sent before the snapshot request (the sync) and the ones after it (the contest). */
function split(script: DepthScript): { synced: RawDiff[]; contested: RawDiff[] } {
  const newer = script.diffs.slice(0, script.snapshotAfter).filter((diff) => diff.u > script.snapshot.lastUpdateId);
  return { synced: newer, contested: script.diffs.slice(script.snapshotAfter) };
}

function sumLevels(levels: readonly BookLevel[]): number {
  let sum = 0;
  for (const [price, size] of levels) sum += price + size;
  return sum;
}

const ours: Contender = (script, depth) => {
  const view = new SyncedBook({ provider: 'binance', symbol: 'BTCUSDT', onStatus: () => undefined });
  const sync = new BinanceDepthSync(view);
  const toDiff = (raw: RawDiff): DepthDiff => ({ firstId: raw.U, finalId: raw.u, eventTime: raw.E, bids: raw.b, asks: raw.a });
  for (const raw of script.diffs.slice(0, script.snapshotAfter)) sync.onDiff(toDiff(raw), false);
  const snapshot: DepthSnapshot = script.snapshot;
  if (sync.onSnapshot(snapshot) !== 'synced') throw new Error('our book did not sync on the snapshot');
  // What the decoder hands the book (the decoder's cost is in the online runs).
  const prepared = split(script).contested.map(toDiff);
  let sum = 0;
  const start = performance.now();
  for (const diff of prepared) {
    if (sync.onDiff(diff, false) !== 'applied') throw new Error(`diff ${diff.firstId}…${diff.finalId} was not applied`);
    const event = view.toEvent(depth, sync.lastEventTime, diff.eventTime, sync.localId);
    if (!event) throw new Error('no book event from a synced book');
    sum += sumLevels(event.bids) + sumLevels(event.asks);
  }
  return { sum, elapsedMs: performance.now() - start };
};

interface CcxtSide extends Array<[number, number]> {
  store(price: number, size: number): void;
}

interface CcxtBook {
  bids: CcxtSide;
  asks: CcxtSide;
  nonce?: number;
  reset(snapshot: { bids: Array<[number, number]>; asks: Array<[number, number]>; nonce: number }): void;
  limit(): CcxtBook;
}

const ccxtBook: Contender = (script, depth) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ccxt = require('ccxt') as { pro: { binance: new () => { orderBook(snapshot?: object, depth?: number): CcxtBook } } };
  const book = new ccxt.pro.binance().orderBook({}, undefined);
  const numeric = (levels: Level[]): Array<[number, number]> => levels.map(([p, q]) => [Number(p), Number(q)]);
  const snapshot = script.snapshot;
  book.reset({ bids: numeric(snapshot.bids), asks: numeric(snapshot.asks), nonce: snapshot.lastUpdateId });
  const apply = (diff: RawDiff): void => {
    for (const [price, size] of diff.a) book.asks.store(Number(price), Number(size));
    for (const [price, size] of diff.b) book.bids.store(Number(price), Number(size));
    book.nonce = diff.u;
    book.limit();
  };
  const { synced, contested } = split(script);
  for (const diff of synced) apply(diff);
  const copyTop = (side: CcxtSide): BookLevel[] => {
    const count = Math.min(depth, side.length);
    const out: BookLevel[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const level = side[i] as [number, number];
      out[i] = [level[0], level[1]];
    }
    return out;
  };
  let sum = 0;
  const start = performance.now();
  for (const diff of contested) {
    apply(diff);
    sum += sumLevels(copyTop(book.bids)) + sumLevels(copyTop(book.asks));
  }
  return { sum, elapsedMs: performance.now() - start };
};

const mapBook: Contender = (script, depth) => {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  const apply = (side: Map<number, number>, levels: Level[]): void => {
    for (const [priceText, sizeText] of levels) {
      const price = Number(priceText);
      const size = Number(sizeText);
      if (size === 0) side.delete(price);
      else side.set(price, size);
    }
  };
  apply(bids, script.snapshot.bids);
  apply(asks, script.snapshot.asks);
  const { synced, contested } = split(script);
  for (const diff of synced) {
    apply(bids, diff.b);
    apply(asks, diff.a);
  }
  const top = (side: Map<number, number>, descending: boolean): BookLevel[] => {
    const prices = [...side.keys()].sort(descending ? (a, b) => b - a : (a, b) => a - b);
    const count = Math.min(depth, prices.length);
    const out: BookLevel[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = [prices[i] as number, side.get(prices[i] as number) as number];
    return out;
  };
  let sum = 0;
  const start = performance.now();
  for (const diff of contested) {
    apply(bids, diff.b);
    apply(asks, diff.a);
    sum += sumLevels(top(bids, true)) + sumLevels(top(asks, false));
  }
  return { sum, elapsedMs: performance.now() - start };
};

const CONTENDERS: Record<string, Contender> = { 'book-ours': ours, 'book-ccxt': ccxtBook, 'book-map': mapBook };

function main(): void {
  guardNetwork();
  const task = readTask();
  const contender = CONTENDERS[task.client];
  const settings = task.books;
  if (!contender || !settings) throw new Error(`unknown book contender ${task.client}`);
  const script = depthScript(settings.diffs);
  const contested = split(script).contested.length;
  let best = Number.POSITIVE_INFINITY;
  let checksum = 0;
  for (let round = 0; round < settings.rounds; round++) {
    const pass = contender(script, settings.depth);
    checksum = pass.sum;
    best = Math.min(best, pass.elapsedMs);
  }
  sendResult(task, {
    ok: true,
    counted: contested,
    expected: contested,
    elapsedMs: best,
    msgsPerSec: (contested * 1000) / best,
    notes: [`checksum ${checksum}`],
  });
}

main();
