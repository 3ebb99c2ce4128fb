/**
 * L2 order book: price levels kept sorted per side (bids high→low, asks low→high) in parallel
 * arrays, so an update is a binary search plus at most one splice and the top N levels are a
 * slice. Venue rules (sequence numbers, checksums, snapshot alignment) live with each provider;
 * this engine only holds levels.
 *
 * A book created with `keepText` also keeps each level's price and size exactly as the venue
 * wrote them (Kraken's checksum is computed from the wire text, trailing zeros included).
 */
import type { BookLevel } from '../model/events';

export class BookSide {
  /** Sorted best first. */
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  /** The venue's text for each price and size, parallel to prices/sizes (books made with keepText only). */
  readonly priceTexts: string[] = [];
  readonly sizeTexts: string[] = [];
  private readonly descending: boolean;
  private readonly keepText: boolean;

  constructor(descending: boolean, keepText = false) {
    this.descending = descending;
    this.keepText = keepText;
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
    this.put(price, size, this.keepText ? String(price) : '', this.keepText ? String(size) : '');
  }

  /** Sets a level from the venue's text (e.g. "1797.30", "0.00000000"); a zero size removes it. */
  setText(priceText: string, sizeText: string): void {
    this.put(Number(priceText), Number(sizeText), priceText, sizeText);
  }

  private put(price: number, size: number, priceText: string, sizeText: string): void {
    const index = this.search(price);
    const found = this.prices[index] === price;
    if (size > 0) {
      if (found) {
        this.sizes[index] = size;
        if (this.keepText) {
          this.priceTexts[index] = priceText;
          this.sizeTexts[index] = sizeText;
        }
      } else {
        this.prices.splice(index, 0, price);
        this.sizes.splice(index, 0, size);
        if (this.keepText) {
          this.priceTexts.splice(index, 0, priceText);
          this.sizeTexts.splice(index, 0, sizeText);
        }
      }
    } else if (found) {
      this.prices.splice(index, 1);
      this.sizes.splice(index, 1);
      if (this.keepText) {
        this.priceTexts.splice(index, 1);
        this.sizeTexts.splice(index, 1);
      }
    }
  }

  /** Removes every level strictly better than `price` (used to uncross). */
  removeBetterThan(price: number): void {
    let count = 0;
    while (count < this.prices.length && this.isBetter(this.prices[count] as number, price)) count += 1;
    if (count > 0) {
      this.prices.splice(0, count);
      this.sizes.splice(0, count);
      if (this.keepText) {
        this.priceTexts.splice(0, count);
        this.sizeTexts.splice(0, count);
      }
    }
  }

  /** Keeps the best `depth` levels. */
  truncate(depth: number): void {
    if (this.prices.length > depth) {
      this.prices.length = depth;
      this.sizes.length = depth;
      if (this.keepText) {
        this.priceTexts.length = depth;
        this.sizeTexts.length = depth;
      }
    }
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
    this.priceTexts.length = 0;
    this.sizeTexts.length = 0;
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

export interface OrderBookOptions {
  /** Keep the venue's text of every price and size (see BookSide.priceTexts). */
  keepText?: boolean;
}

export class OrderBook {
  readonly bids: BookSide;
  readonly asks: BookSide;

  constructor(options: OrderBookOptions = {}) {
    this.bids = new BookSide(true, options.keepText === true);
    this.asks = new BookSide(false, options.keepText === true);
  }

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
