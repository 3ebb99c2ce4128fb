/**
 * L2 order book: price levels kept sorted per side (bids high→low, asks low→high) in parallel
 * arrays, so an update is a binary search plus at most one splice and the top N levels are a
 * slice. Venue rules (sequence numbers, checksums, snapshot alignment) live with each provider;
 * this engine only holds levels.
 */
import type { BookLevel } from '../model/events';

export class BookSide {
  /** Sorted best first. */
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  private readonly descending: boolean;

  constructor(descending: boolean) {
    this.descending = descending;
  }

  get length(): number {
    return this.prices.length;
  }

  /** Best price, or undefined when the side is empty. */
  get best(): number | undefined {
    return this.prices[0];
  }

  /** Size at a price, or undefined when there is no level there. */
  sizeAt(price: number): number | undefined {
    const index = this.search(price);
    return this.prices[index] === price ? this.sizes[index] : undefined;
  }

  /** Sets a level's absolute size; a size of 0 (or less) removes the level. */
  set(price: number, size: number): void {
    const index = this.search(price);
    const found = this.prices[index] === price;
    if (size > 0) {
      if (found) this.sizes[index] = size;
      else {
        this.prices.splice(index, 0, price);
        this.sizes.splice(index, 0, size);
      }
    } else if (found) {
      this.prices.splice(index, 1);
      this.sizes.splice(index, 1);
    }
  }

  /** Removes every level strictly better than `price` (used to uncross). */
  removeBetterThan(price: number): void {
    let count = 0;
    while (count < this.prices.length && this.isBetter(this.prices[count] as number, price)) count += 1;
    if (count > 0) {
      this.prices.splice(0, count);
      this.sizes.splice(0, count);
    }
  }

  /** Keeps the best `depth` levels. */
  truncate(depth: number): void {
    if (this.prices.length > depth) {
      this.prices.length = depth;
      this.sizes.length = depth;
    }
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
  }

  /** The best `depth` levels as [price, size] pairs, best first. */
  top(depth: number): BookLevel[] {
    const count = Math.min(depth, this.prices.length);
    const levels: BookLevel[] = new Array(count);
    for (let i = 0; i < count; i++) levels[i] = [this.prices[i] as number, this.sizes[i] as number];
    return levels;
  }

  /** Index of `price`, or where it would be inserted. */
  private search(price: number): number {
    const prices = this.prices;
    let low = 0;
    let high = prices.length;
    if (this.descending) {
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((prices[mid] as number) > price) low = mid + 1;
        else high = mid;
      }
    } else {
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((prices[mid] as number) < price) low = mid + 1;
        else high = mid;
      }
    }
    return low;
  }

  private isBetter(candidate: number, than: number): boolean {
    return this.descending ? candidate > than : candidate < than;
  }
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);

  /** Replaces the whole book. */
  applySnapshot(bids: Iterable<readonly [number, number]>, asks: Iterable<readonly [number, number]>): void {
    this.clear();
    for (const [price, size] of bids) this.bids.set(price, size);
    for (const [price, size] of asks) this.asks.set(price, size);
  }

  /** Sets one level (absolute size; 0 deletes). */
  applyDelta(side: 'bid' | 'ask', price: number, size: number): void {
    (side === 'bid' ? this.bids : this.asks).set(price, size);
  }

  /** True when the best bid is at or above the best ask: never emit such a book as good. */
  isCrossed(): boolean {
    const bid = this.bids.best;
    const ask = this.asks.best;
    return bid !== undefined && ask !== undefined && bid >= ask;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }
}
