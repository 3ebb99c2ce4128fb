/**
 * The venue side of the Binance fake: one symbol's true order book, trade ids and update ids,
 * moved by seeded random steps. Prices and quantities are kept as integers (ticks, lots) and
 * written as Binance writes them: strings with the symbol's full precision ("0.35210000").
 */

export interface SymbolSpec {
  /** Price of the first level, in ticks. */
  midTicks?: number;
  priceDecimals?: number;
  qtyDecimals?: number;
  /** exchangeInfo status. */
  status?: string;
  seed?: number;
  /** Levels per side at the start. */
  levels?: number;
}

export type Level = [string, string];

/** Mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function formatFixed(units: number, decimals: number): string {
  const negative = units < 0;
  const digits = String(Math.abs(units)).padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

export interface DepthChange {
  firstId: number;
  finalId: number;
  bids: Level[];
  asks: Level[];
}

export interface FakeTrade {
  id: number;
  price: string;
  qty: string;
  /** Buyer was the maker: the taker sold. */
  buyerMaker: boolean;
}

export class FakeBinanceMarket {
  readonly symbol: string;
  readonly priceDecimals: number;
  readonly qtyDecimals: number;
  status: string;
  /** ticks → lots */
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  updateId = 1_000_000;
  tradeId = 500_000;
  aggTradeId = 90_000;
  private readonly random: () => number;

  constructor(symbol: string, spec: SymbolSpec = {}) {
    this.symbol = symbol;
    this.priceDecimals = spec.priceDecimals ?? 2;
    this.qtyDecimals = spec.qtyDecimals ?? 5;
    this.status = spec.status ?? 'TRADING';
    this.random = seededRandom(spec.seed ?? hash(symbol));
    const mid = spec.midTicks ?? 6_500_000;
    const levels = spec.levels ?? 40;
    for (let i = 1; i <= levels; i++) {
      this.bids.set(mid - i * 2, this.randomLots());
      this.asks.set(mid + i * 2, this.randomLots());
    }
  }

  bestBid(): number {
    return Math.max(...this.bids.keys());
  }

  bestAsk(): number {
    return Math.min(...this.asks.keys());
  }

  /** One diff event's worth of random changes near the top; returns them with their update ids. */
  step(changes = 1 + Math.floor(this.random() * 4)): DepthChange {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    for (let i = 0; i < changes; i++) {
      const isBid = this.random() < 0.5;
      const side = isBid ? this.bids : this.asks;
      const best = isBid ? this.bestBid() : this.bestAsk();
      const other = isBid ? this.bestAsk() : this.bestBid();
      const offset = Math.floor(this.random() * 24) - 4; // mostly behind the top, sometimes inside the spread
      let price = isBid ? best - offset : best + offset;
      if (isBid ? price >= other : price <= other) price = isBid ? other - 1 : other + 1;
      const remove = side.has(price) && side.size > 5 && this.random() < 0.35;
      const lots = remove ? 0 : this.randomLots();
      if (lots === 0) side.delete(price);
      else side.set(price, lots);
      (isBid ? bids : asks).set(price, lots);
    }
    const firstId = this.updateId + 1;
    this.updateId += changes;
    return { firstId, finalId: this.updateId, bids: this.levels(bids, true), asks: this.levels(asks, false) };
  }

  /** A trade at the touch; trades do not move the book in this fake. */
  trade(): FakeTrade {
    const buyerMaker = this.random() < 0.5;
    this.tradeId += 1;
    return { id: this.tradeId, price: this.price(buyerMaker ? this.bestBid() : this.bestAsk()), qty: this.qty(this.randomLots()), buyerMaker };
  }

  top(depth: number): { bids: Level[]; asks: Level[] } {
    return { bids: this.levels(this.bids, true).slice(0, depth), asks: this.levels(this.asks, false).slice(0, depth) };
  }

  /** The book as numbers, best first, for comparing with emitted book events. */
  topNumbers(depth: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const toNumbers = (levels: Level[]): Array<[number, number]> => levels.map(([p, q]) => [Number(p), Number(q)]);
    const top = this.top(depth);
    return { bids: toNumbers(top.bids), asks: toNumbers(top.asks) };
  }

  price(ticks: number): string {
    return formatFixed(ticks, this.priceDecimals);
  }

  qty(lots: number): string {
    return formatFixed(lots, this.qtyDecimals);
  }

  private levels(side: Map<number, number>, descending: boolean): Level[] {
    return [...side.entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0])).map(([ticks, lots]) => [this.price(ticks), this.qty(lots)]);
  }

  private randomLots(): number {
    return 1 + Math.floor(this.random() * 500_000);
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
