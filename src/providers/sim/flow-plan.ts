/**
 * Plans one simulated option order: a single print, a same-exchange split, a multi-exchange
 * sweep or a block, with whales among them. Sizes keep a margin from every threshold in
 * FLOW_DEFAULTS so that each order has exactly one correct label under the default settings
 * of the flow classifier, and the sim can score it.
 */
import type { AggressorSide, MarketEvent, TradeEvent } from '../../model/events';
import { FLOW_DEFAULTS, type FlowKind, type FlowThresholds } from '../../model/flow';

/**
 * The truth the simulator attaches to each option print (`payload.sim`), so a user or a test can
 * score an alert flow against what the sim meant (docs/architecture.md, "The simulator"). Sim
 * only: the shared model knows nothing of it.
 */
export interface SimPrintLabel {
  orderId: string;
  kind: FlowKind;
  whale: boolean;
  /** Prints that make up the order. */
  legs: number;
}

/** An option print from the simulator, with its label. */
export interface SimTradeEvent extends TradeEvent {
  sim: SimPrintLabel;
}

export function isSimPrint(event: MarketEvent): event is SimTradeEvent {
  return event.type === 'trade' && typeof (event as Partial<SimTradeEvent>).sim === 'object';
}
import type { Random } from './random';

export interface PlannedLeg {
  /** Delay from the order's start, ms. */
  offsetMs: number;
  size: number;
  exchange: string;
}

export interface PlannedOrder {
  kind: FlowKind;
  whale: boolean;
  price: number;
  side?: AggressorSide;
  legs: PlannedLeg[];
}

export interface OrderQuote {
  bid: number | null;
  ask: number;
}

/** Keep this far (as a fraction) from premium thresholds. */
const MARGIN = 0.03;
/** Longest span of a sweep's legs; far inside the default window. */
export const SWEEP_SPAN_MS = 40;
/** Longest span of a split's legs. */
export const SPLIT_SPAN_MS = 300;

export function planOrder(rng: Random, quote: OrderQuote, multiplier: number, exchanges: readonly string[], limits: FlowThresholds = FLOW_DEFAULTS): PlannedOrder | null {
  const roll = rng.next();
  const kind: FlowKind = roll < 0.68 ? 'SINGLE' : roll < 0.8 ? 'SWEEP' : roll < 0.9 ? 'SPLIT' : 'BLOCK';
  const atBid = quote.bid !== null && rng.chance(0.45);
  const atMid = kind === 'SINGLE' && quote.bid !== null && rng.chance(0.1);
  const price = atMid ? roundCents(((quote.bid as number) + quote.ask) / 2) : atBid ? (quote.bid as number) : quote.ask;
  if (!(price > 0)) return null;
  const side: AggressorSide | undefined = atMid ? undefined : atBid ? 'sell' : 'buy';
  const unit = price * multiplier;
  const belowPremium = (1 - MARGIN) * Math.min(limits.blockMinPremiumUsd, limits.whaleMinPremiumUsd);
  const whalePremium = (1 + MARGIN) * Math.max(limits.blockMinPremiumUsd, limits.whaleMinPremiumUsd);
  /** Largest print that is neither a block nor a whale by itself. */
  const legMax = Math.min(limits.blockMinSize - 1, Math.floor(belowPremium / unit));
  if (legMax < 1) return null;
  const order = (k: FlowKind, whale: boolean, legs: PlannedLeg[]): PlannedOrder => (side ? { kind: k, whale, price, side, legs } : { kind: k, whale, price, legs });

  if (kind === 'BLOCK') {
    const nonWhaleMax = Math.floor(((1 - MARGIN) * limits.whaleMinPremiumUsd) / unit);
    if (!rng.chance(0.45) && nonWhaleMax >= limits.blockMinSize) {
      const size = rng.int(limits.blockMinSize, Math.min(nonWhaleMax, limits.blockMinSize * 6));
      return order('BLOCK', false, [{ offsetMs: 0, size, exchange: rng.pick(exchanges) }]);
    }
    const size = Math.ceil(whalePremium / unit) + rng.int(0, 60);
    return order('BLOCK', true, [{ offsetMs: 0, size, exchange: rng.pick(exchanges) }]);
  }

  if (kind === 'SWEEP' || kind === 'SPLIT') {
    const count = kind === 'SWEEP' ? rng.int(2, Math.min(5, exchanges.length)) : rng.int(2, 4);
    const venues = kind === 'SWEEP' ? shuffled(rng, exchanges).slice(0, count) : new Array<string>(count).fill(rng.pick(exchanges));
    const span = kind === 'SWEEP' ? SWEEP_SPAN_MS : SPLIT_SPAN_MS;
    const offsets = [0, ...Array.from({ length: count - 1 }, () => rng.int(1, span))].sort((a, b) => a - b);
    const wantWhale = rng.chance(kind === 'SWEEP' ? 0.3 : 0.15);
    const sizes = legSizes(rng, count, legMax, unit, wantWhale, belowPremium, whalePremium);
    if (sizes) {
      const total = sizes.reduce((sum, size) => sum + size, 0) * unit;
      return order(kind, total >= whalePremium, sizes.map((size, i) => ({ offsetMs: offsets[i] as number, size, exchange: venues[i] as string })));
    }
  }

  const size = Math.min(legMax, smallSize(rng));
  return order('SINGLE', false, [{ offsetMs: 0, size, exchange: rng.pick(exchanges) }]);
}

/** Leg sizes whose total premium is clearly a whale, or clearly not; null when neither fits. */
function legSizes(rng: Random, count: number, legMax: number, unit: number, wantWhale: boolean, belowPremium: number, whalePremium: number): number[] | null {
  if (wantWhale && count * legMax * unit >= whalePremium) {
    const perLeg = Math.min(legMax, Math.ceil(whalePremium / unit / count) + rng.int(0, 10));
    const sizes = new Array<number>(count).fill(perLeg);
    let total = perLeg * count * unit;
    for (let i = 0; total < whalePremium && i < count; i++) {
      const add = Math.min(legMax - (sizes[i] as number), Math.ceil((whalePremium - total) / unit));
      sizes[i] = (sizes[i] as number) + add;
      total += add * unit;
    }
    return total >= whalePremium ? sizes : null;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const sizes = Array.from({ length: count }, () => Math.min(legMax, smallSize(rng)));
    if (sizes.reduce((sum, size) => sum + size, 0) * unit < belowPremium) return sizes;
  }
  return null;
}

/** Mostly small retail sizes, sometimes a few dozen contracts. */
function smallSize(rng: Random): number {
  return rng.chance(0.75) ? rng.int(1, 20) : rng.int(21, 120);
}

function shuffled<T>(rng: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

export function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}
