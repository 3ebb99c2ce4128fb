/**
 * Rolling options-flow statistics over a time window (default 5 minutes) kept in 60 time
 * buckets: memory depends on the window and on how many contracts trade in it, never on how
 * many flows went by. A snapshot merges the live buckets.
 */
import type { OptionRight } from '../model/events';
import { FLOW_KINDS, type FlowKind } from '../model/flow';
import type { FlowSentiment } from './option-flow';
import { roundTo } from './numbers';

/** What the statistics read from a classified flow. */
export interface FlowFacts {
  symbol: string;
  ts: number;
  option: { right: OptionRight };
  size: number;
  premiumUsd: number;
  kind: FlowKind;
  whale: boolean;
  sentiment: FlowSentiment;
}

export interface ContractFlowTotals {
  symbol: string;
  premiumUsd: number;
  volume: number;
  flows: number;
}

export interface FlowStats {
  type: 'flowStats';
  /** End of the window (event time), epoch ms. */
  ts: number;
  /** Start of the window: the first bucket's start, epoch ms. */
  from: number;
  windowS: number;
  flows: number;
  whales: number;
  kinds: Record<FlowKind, number>;
  callVolume: number;
  putVolume: number;
  callPremiumUsd: number;
  putPremiumUsd: number;
  /** Put volume / call volume; null when no call traded. */
  putCallVolumeRatio: number | null;
  /** Put premium / call premium; null when no call traded. */
  putCallPremiumRatio: number | null;
  bullishPremiumUsd: number;
  bearishPremiumUsd: number;
  /** Contracts with the most premium in the window, largest first. */
  topContracts: ContractFlowTotals[];
}

interface Bucket {
  /** floor(ts / bucketMs) of the flows it holds. */
  index: number;
  flows: number;
  whales: number;
  kinds: number[];
  callVolume: number;
  putVolume: number;
  callPremiumUsd: number;
  putPremiumUsd: number;
  bullishPremiumUsd: number;
  bearishPremiumUsd: number;
  contracts: Map<string, ContractFlowTotals>;
}

export const STATS_BUCKETS = 60;

export class RollingFlowStats {
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly topContracts: number;
  private readonly buckets: Bucket[] = [];

  constructor(windowMs: number, topContracts: number) {
    this.windowMs = windowMs;
    this.bucketMs = Math.max(1, Math.ceil(windowMs / STATS_BUCKETS));
    this.topContracts = topContracts;
    for (let i = 0; i < STATS_BUCKETS; i++) this.buckets.push(emptyBucket(Number.NEGATIVE_INFINITY));
  }

  add(flow: FlowFacts): void {
    const index = Math.floor(flow.ts / this.bucketMs);
    const slot = ((index % STATS_BUCKETS) + STATS_BUCKETS) % STATS_BUCKETS;
    const bucket = this.buckets[slot] as Bucket;
    if (bucket.index > index) return; // older than the window the slot already moved on to
    if (bucket.index < index) resetBucket(bucket, index);
    bucket.flows += 1;
    if (flow.whale) bucket.whales += 1;
    const kind = FLOW_KINDS.indexOf(flow.kind);
    bucket.kinds[kind] = (bucket.kinds[kind] as number) + 1;
    if (flow.option.right === 'call') {
      bucket.callVolume += flow.size;
      bucket.callPremiumUsd += flow.premiumUsd;
    } else {
      bucket.putVolume += flow.size;
      bucket.putPremiumUsd += flow.premiumUsd;
    }
    if (flow.sentiment === 'bullish') bucket.bullishPremiumUsd += flow.premiumUsd;
    else if (flow.sentiment === 'bearish') bucket.bearishPremiumUsd += flow.premiumUsd;
    const contract = bucket.contracts.get(flow.symbol);
    if (contract) {
      contract.premiumUsd += flow.premiumUsd;
      contract.volume += flow.size;
      contract.flows += 1;
    } else {
      bucket.contracts.set(flow.symbol, { symbol: flow.symbol, premiumUsd: flow.premiumUsd, volume: flow.size, flows: 1 });
    }
  }

  /** Totals of the buckets inside the window that ends at `now` (event time). */
  snapshot(now: number): FlowStats {
    const last = Math.floor(now / this.bucketMs);
    const first = last - STATS_BUCKETS + 1;
    const sum = emptyBucket(last);
    for (const bucket of this.buckets) {
      if (bucket.index < first || bucket.index > last) continue;
      sum.flows += bucket.flows;
      sum.whales += bucket.whales;
      for (let k = 0; k < FLOW_KINDS.length; k++) sum.kinds[k] = (sum.kinds[k] as number) + (bucket.kinds[k] as number);
      sum.callVolume += bucket.callVolume;
      sum.putVolume += bucket.putVolume;
      sum.callPremiumUsd += bucket.callPremiumUsd;
      sum.putPremiumUsd += bucket.putPremiumUsd;
      sum.bullishPremiumUsd += bucket.bullishPremiumUsd;
      sum.bearishPremiumUsd += bucket.bearishPremiumUsd;
      for (const contract of bucket.contracts.values()) {
        const total = sum.contracts.get(contract.symbol);
        if (total) {
          total.premiumUsd += contract.premiumUsd;
          total.volume += contract.volume;
          total.flows += contract.flows;
        } else {
          sum.contracts.set(contract.symbol, { ...contract });
        }
      }
    }
    const kinds = {} as Record<FlowKind, number>;
    FLOW_KINDS.forEach((kind, k) => (kinds[kind] = sum.kinds[k] as number));
    const top = [...sum.contracts.values()]
      .sort((a, b) => b.premiumUsd - a.premiumUsd || b.volume - a.volume || (a.symbol < b.symbol ? -1 : 1))
      .slice(0, this.topContracts)
      .map((c) => ({ symbol: c.symbol, premiumUsd: cents(c.premiumUsd), volume: roundTo(c.volume, 6), flows: c.flows }));
    return {
      type: 'flowStats',
      ts: now,
      from: first * this.bucketMs,
      windowS: this.windowMs / 1000,
      flows: sum.flows,
      whales: sum.whales,
      kinds,
      callVolume: roundTo(sum.callVolume, 6),
      putVolume: roundTo(sum.putVolume, 6),
      callPremiumUsd: cents(sum.callPremiumUsd),
      putPremiumUsd: cents(sum.putPremiumUsd),
      putCallVolumeRatio: sum.callVolume > 0 ? roundTo(sum.putVolume / sum.callVolume, 4) : null,
      putCallPremiumRatio: sum.callPremiumUsd > 0 ? roundTo(sum.putPremiumUsd / sum.callPremiumUsd, 4) : null,
      bullishPremiumUsd: cents(sum.bullishPremiumUsd),
      bearishPremiumUsd: cents(sum.bearishPremiumUsd),
      topContracts: top,
    };
  }
}

function emptyBucket(index: number): Bucket {
  return {
    index,
    flows: 0,
    whales: 0,
    kinds: FLOW_KINDS.map(() => 0),
    callVolume: 0,
    putVolume: 0,
    callPremiumUsd: 0,
    putPremiumUsd: 0,
    bullishPremiumUsd: 0,
    bearishPremiumUsd: 0,
    contracts: new Map(),
  };
}

function resetBucket(bucket: Bucket, index: number): void {
  bucket.index = index;
  bucket.flows = 0;
  bucket.whales = 0;
  bucket.kinds.fill(0);
  bucket.callVolume = 0;
  bucket.putVolume = 0;
  bucket.callPremiumUsd = 0;
  bucket.putPremiumUsd = 0;
  bucket.bullishPremiumUsd = 0;
  bucket.bearishPremiumUsd = 0;
  bucket.contracts.clear();
}

function cents(value: number): number {
  return roundTo(value, 2);
}
