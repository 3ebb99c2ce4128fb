/**
 * The rules that describe one option print or order, as pure functions: where it traded against
 * the NBBO, what that says about the trader's view, moneyness, days to expiry and the order's kind.
 * FlowClassifier (flow-classifier.ts) applies them to a stream.
 */
import type { OptionRight } from '../model/events';
import type { FlowKind, FlowThresholds } from '../model/flow';
import { addDays, calendarDaysBetween, nyDate, nyWallTimeToEpoch } from '../model/time';

/** Where a print traded against the NBBO at that moment. `mid` is anywhere strictly inside the spread. */
export type NbboSide = 'ask' | 'above-ask' | 'bid' | 'below-bid' | 'mid';
export type FlowSentiment = 'bullish' | 'bearish' | 'neutral';
export type Moneyness = 'ITM' | 'ATM' | 'OTM';

export interface Nbbo {
  bid: number | null;
  ask: number | null;
}

/** Prices closer than this (relative) are equal: decimal prices parsed from text compare exactly, computed ones may not. */
const PRICE_EPSILON = 1e-9;

/**
 * The print's position against the NBBO, or null when the quote cannot tell: crossed quote,
 * below the ask with no bid, above the bid with no ask.
 */
export function sideVsNbbo(price: number, nbbo: Nbbo): NbboSide | null {
  const { bid, ask } = nbbo;
  if (bid !== null && ask !== null && bid > ask) return null;
  if (ask !== null) {
    const tolerance = PRICE_EPSILON * Math.max(1, ask);
    if (price > ask + tolerance) return 'above-ask';
    if (price >= ask - tolerance) return 'ask';
  }
  if (bid !== null) {
    const tolerance = PRICE_EPSILON * Math.max(1, bid);
    if (price < bid - tolerance) return 'below-bid';
    if (price <= bid + tolerance) return 'bid';
  }
  return bid !== null && ask !== null ? 'mid' : null;
}

/** Bought at the ask: calls bullish, puts bearish. Sold at the bid: the reverse. Mid or unknown: neutral. */
export function sentimentOf(right: OptionRight, side: NbboSide | null): FlowSentiment {
  if (side === 'ask' || side === 'above-ask') return right === 'call' ? 'bullish' : 'bearish';
  if (side === 'bid' || side === 'below-bid') return right === 'call' ? 'bearish' : 'bullish';
  return 'neutral';
}

/**
 * ATM when the underlying is within ± atmBandPct % of the strike (edges included); otherwise a
 * call is ITM above the strike and a put below it.
 */
export function moneynessOf(right: OptionRight, strike: number, underlyingPrice: number, atmBandPct: number): Moneyness {
  const distance = underlyingPrice - strike;
  // The tolerance keeps the band's edge inside it despite binary noise (232.3 − 230 = 2.3000000000000114).
  if (Math.abs(distance) <= (strike * atmBandPct) / 100 + PRICE_EPSILON * strike) return 'ATM';
  return (distance > 0) === (right === 'call') ? 'ITM' : 'OTM';
}

/** What decides an order's kind. */
export interface OrderShape {
  prints: number;
  /** Distinct exchanges among the prints whose exchange is known. */
  exchanges: number;
  /** Largest single print, contracts. */
  maxPrintSize: number;
  /** Largest single print's premium, USD. */
  maxPrintPremiumUsd: number;
}

/**
 * SWEEP: several prints on two or more exchanges; SPLIT: several prints on one exchange (or on
 * exchanges nobody named); BLOCK: one print at or above the size or premium threshold; SINGLE:
 * one ordinary print. Several prints make one order even when one of them is block-sized.
 */
export function flowKindOf(shape: OrderShape, thresholds: Pick<FlowThresholds, 'blockMinSize' | 'blockMinPremiumUsd'>): FlowKind {
  if (shape.prints >= 2) return shape.exchanges >= 2 ? 'SWEEP' : 'SPLIT';
  return isBlockPrint(shape.maxPrintSize, shape.maxPrintPremiumUsd, thresholds) ? 'BLOCK' : 'SINGLE';
}

export function isBlockPrint(size: number, premiumUsd: number, thresholds: Pick<FlowThresholds, 'blockMinSize' | 'blockMinPremiumUsd'>): boolean {
  return size >= thresholds.blockMinSize || premiumUsd >= thresholds.blockMinPremiumUsd;
}

/** Premium of a print in USD, to the cent: price × size × multiplier. */
export function premiumUsdOf(price: number, size: number, multiplier: number): number {
  return Math.round(price * size * multiplier * 100) / 100;
}

/**
 * The New York calendar for a stream of prints: the date of an instant and the days to an
 * expiry. Caches the current New York day, so most prints cost two comparisons instead of a
 * time-zone conversion.
 */
export class NewYorkCalendar {
  private dayStart = Number.POSITIVE_INFINITY;
  private dayEnd = Number.NEGATIVE_INFINITY;
  private date = '';

  /** The New York date (YYYY-MM-DD) of an instant. */
  dateOf(epochMs: number): string {
    if (epochMs < this.dayStart || epochMs >= this.dayEnd) {
      this.date = nyDate(epochMs);
      this.dayStart = nyWallTimeToEpoch(this.date, 0);
      this.dayEnd = nyWallTimeToEpoch(addDays(this.date, 1), 0);
    }
    return this.date;
  }

  /** Calendar days from the New York date of an instant to an expiry date (YYYY-MM-DD); 0 on expiry day. */
  daysToExpiry(epochMs: number, expiry: string): number {
    return calendarDaysBetween(this.dateOf(epochMs), expiry);
  }
}

/** Calendar days from the New York date of an instant to an expiry date (YYYY-MM-DD); 0 on expiry day. */
export function daysToExpiry(epochMs: number, expiry: string): number {
  return calendarDaysBetween(nyDate(epochMs), expiry);
}
