/**
 * One symbol's book as a feed sees it: the levels plus whether they can be trusted. Providers
 * apply their venue's rules (Binance update ids, Coinbase sequence numbers, Kraken checksums)
 * and tell this class when sync is lost and when a fresh snapshot has been applied; it makes
 * sure a book event is only ever built from a synced, uncrossed book, and that `resyncing`
 * and `synced` are each reported once per loss.
 */
import type { BookEvent } from '../model/events';
import { OrderBook, type OrderBookOptions } from './order-book';

export type BookSyncState = 'resyncing' | 'synced';

export interface SyncedBookOptions extends OrderBookOptions {
  provider: string;
  symbol: string;
  /** Called on each change between synced and resyncing (not for the very first sync). */
  onStatus: (state: BookSyncState, detail: string) => void;
}

export class SyncedBook {
  readonly book: OrderBook;
  readonly provider: string;
  readonly symbol: string;
  private readonly onStatus: (state: BookSyncState, detail: string) => void;
  private synced = false;
  private lostSinceSync = false;

  constructor(options: SyncedBookOptions) {
    this.book = new OrderBook(options);
    this.provider = options.provider;
    this.symbol = options.symbol;
    this.onStatus = options.onStatus;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /**
   * The levels can no longer be trusted (gap, checksum mismatch, reconnect): drop them and
   * wait for a snapshot. Reports `resyncing` when the book was synced.
   */
  lose(detail: string): void {
    this.book.clear();
    if (!this.synced) return;
    this.synced = false;
    this.lostSinceSync = true;
    this.onStatus('resyncing', detail);
  }

  /**
   * A fresh snapshot (and whatever buffered updates follow it) has been applied. Returns false,
   * and stays unsynced, when the result is crossed.
   */
  markSynced(detail: string): boolean {
    if (this.book.isCrossed()) {
      this.book.clear();
      return false;
    }
    this.synced = true;
    if (this.lostSinceSync) {
      this.lostSinceSync = false;
      this.onStatus('synced', detail);
    }
    return true;
  }

  /**
   * The best `depth` levels of each side as a book event, or null when the book is not synced.
   * A book that turned out crossed is never returned: it loses sync (the caller resyncs).
   */
  toEvent(depth: number, ts: number, receivedAt: number, seq?: number): BookEvent | null {
    if (!this.synced) return null;
    if (this.book.isCrossed()) {
      this.lose('crossed book (best bid at or above best ask)');
      return null;
    }
    const event: BookEvent = {
      type: 'book',
      provider: this.provider,
      symbol: this.symbol,
      ts,
      receivedAt,
      bids: this.book.bids.top(depth),
      asks: this.book.asks.top(depth),
      depth,
    };
    if (seq !== undefined) event.seq = seq;
    return event;
  }
}
