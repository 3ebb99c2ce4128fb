/**
 * Binance's rules for a local order book (docs/protocols/binance.md §7, text of 2025-11-12), per symbol:
 *
 *  1. buffer diff events from the moment the stream is live; 2. fetch the REST snapshot;
 *  3. a snapshot whose lastUpdateId is below the first buffered U is too old: fetch again
 *     (a snapshot that arrives before any event waits for the first one, so this check can be
 *     made; in a market quiet for a while it is applied as it is: see `force`);
 *  4. drop buffered events with u <= lastUpdateId; 5. then, and for every later event:
 *     u <= local id → ignore, U > local id + 1 → gap (start over), else apply and local id := u.
 *
 * While two connections carry the stream (the hand-over before the 24 h cut) an event ahead of
 * the chain may simply have overtaken its predecessor on the other connection: it waits until
 * the chain reaches it, and only counts as a gap once a single connection is left.
 */
import { SyncedBook } from '../../book/synced-book';
import type { DepthDiff } from './decode';

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

export type DiffOutcome =
  /** Applied to a synced book: a book event is due. */
  | 'applied'
  /** Kept until the snapshot arrives. */
  | 'buffered'
  /** Already contained in the book. */
  | 'stale'
  /** Ahead of the chain while two connections feed the symbol: kept for later. */
  | 'held'
  /** Events are missing (or the book crossed): the book is dropped, fetch a new snapshot. */
  | 'gap';

export type SnapshotOutcome =
  /** Book set from the snapshot and the buffered events: a book event is due. */
  | 'synced'
  /** lastUpdateId is below the first buffered U: fetch again. */
  | 'too-old'
  /** No event buffered yet: keep the snapshot until the first one arrives (or the market proves quiet). */
  | 'held'
  /** The buffered events do not chain onto the snapshot (or the result crossed): fetch again. */
  | 'gap'
  /** Not waiting for a snapshot (already synced). */
  | 'ignored';

/** Diff events kept at most while waiting for a snapshot (about 8 minutes at 100 ms). */
const MAX_BUFFERED = 5_000;
const MAX_HELD = 1_000;

export class BinanceDepthSync {
  readonly view: SyncedBook;
  /** The book's update id (`lastUpdateId`, then each applied `u`). */
  localId = 0;
  /** Event time of the last applied diff (0 before any). */
  lastEventTime = 0;
  private waiting = true;
  private buffer: DepthDiff[] = [];
  private held: DepthDiff[] = [];

  constructor(view: SyncedBook) {
    this.view = view;
  }

  /** True while no snapshot has been applied since the last (re)start. */
  get awaitingSnapshot(): boolean {
    return this.waiting;
  }

  onDiff(diff: DepthDiff, multiSource: boolean): DiffOutcome {
    if (this.waiting) {
      this.buffer.push(diff);
      if (this.buffer.length > MAX_BUFFERED) this.buffer.shift();
      return 'buffered';
    }
    const outcome = this.chain(diff, multiSource);
    if (outcome !== 'applied') return outcome;
    this.applyHeld();
    return this.view.book.isCrossed() ? this.restartAfter('crossed book') : 'applied';
  }

  /** `force`: apply even though no event has been buffered (the market has been quiet). */
  onSnapshot(snapshot: DepthSnapshot, force = false): SnapshotOutcome {
    if (!this.waiting) return 'ignored';
    const first = this.buffer[0];
    if (first === undefined && !force) return 'held';
    if (first !== undefined && snapshot.lastUpdateId < first.firstId) return 'too-old';
    const book = this.view.book;
    book.clear();
    for (const [price, size] of snapshot.bids) book.bids.set(Number(price), Number(size));
    for (const [price, size] of snapshot.asks) book.asks.set(Number(price), Number(size));
    this.localId = snapshot.lastUpdateId;
    this.waiting = false;
    const buffered = this.buffer;
    this.buffer = [];
    for (const diff of buffered) {
      if (this.chain(diff, false) === 'gap') return 'gap';
    }
    if (!this.view.markSynced(`order book synced at update ${this.localId}`)) {
      this.restart('crossed book after the snapshot');
      return 'gap';
    }
    return 'synced';
  }

  /** Sync lost (gap, reconnect, crossed book): drop the levels and wait for a new snapshot. */
  restart(detail: string): void {
    this.view.lose(detail);
    this.waiting = true;
    this.buffer = [];
    this.held = [];
    this.localId = 0;
    this.lastEventTime = 0;
  }

  /**
   * The symbol is back on a single connection: events still held mean the chain has a hole.
   * Returns 'gap' (the book was dropped) or 'stale' when nothing was held.
   */
  endOverlap(): DiffOutcome {
    if (this.held.length === 0) return 'stale';
    return this.restartAfter(`update ids ${this.localId + 1}…${(this.held[0] as DepthDiff).firstId - 1} never arrived`);
  }

  private chain(diff: DepthDiff, multiSource: boolean): DiffOutcome {
    if (diff.finalId <= this.localId) return 'stale';
    if (diff.firstId > this.localId + 1) {
      if (multiSource && this.held.length < MAX_HELD) {
        this.held.push(diff);
        return 'held';
      }
      return this.restartAfter(`update ids ${this.localId + 1}…${diff.firstId - 1} missing`);
    }
    this.apply(diff);
    return 'applied';
  }

  private apply(diff: DepthDiff): void {
    const book = this.view.book;
    for (const [price, size] of diff.bids) book.bids.set(Number(price), Number(size));
    for (const [price, size] of diff.asks) book.asks.set(Number(price), Number(size));
    this.localId = diff.finalId;
    this.lastEventTime = diff.eventTime;
  }

  /** Applies held events that the chain has reached, in id order. */
  private applyHeld(): void {
    if (this.held.length === 0) return;
    this.held.sort((a, b) => a.firstId - b.firstId);
    while (this.held.length > 0) {
      const next = this.held[0] as DepthDiff;
      if (next.finalId <= this.localId) this.held.shift();
      else if (next.firstId <= this.localId + 1) this.apply(this.held.shift() as DepthDiff);
      else break;
    }
  }

  private restartAfter(detail: string): 'gap' {
    this.restart(detail);
    return 'gap';
  }
}
