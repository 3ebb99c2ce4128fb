/**
 * The sim provider's adapter: drives the SimMarket from the session's clock (real time) or as
 * fast as the event loop allows (`rate: "max"`, for benchmarks), and checks that each
 * subscription makes sense for its symbol.
 */
import type { Channel } from '../../model/events';
import { MarketError } from '../../model/errors';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { SimMarket } from './market';
import { contractFor, simInstrument } from './universe';

export interface SimSettings {
  seed: number;
  /** Event frequency multiplier, or 'max' to run virtual time as fast as possible. */
  rate: number | 'max';
}

const TICK_MS = 50;
/** Virtual time covered per batch at full speed, and the task runs allowed per batch. */
const MAX_BATCH_MS = 250;
const MAX_BATCH_RUNS = 4_000;

export function parseSimOptions(options: Record<string, unknown>): SimSettings {
  const seed = options.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw simConfigError(`options.seed must be a whole number, got ${JSON.stringify(seed)}`);
  const rate = options.rate ?? 1;
  if (rate !== 'max' && !(typeof rate === 'number' && rate > 0 && rate <= 10_000)) {
    throw simConfigError(`options.rate must be a number from 0.01 to 10000 (event frequency multiplier) or "max", got ${JSON.stringify(rate)}`);
  }
  return { seed, rate };
}

export class SimAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly settings: SimSettings;
  private readonly market: SimMarket;
  private readonly active = new Map<string, UpstreamSubscription>();
  private tickTimer: TimerHandle = null;
  private startTimer: TimerHandle = null;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  private starts = 0;
  private subscribeCalls = 0;

  constructor(context: AdapterContext) {
    this.context = context;
    this.settings = parseSimOptions(context.settings.options);
    const clock = context.clock;
    this.market = new SimMarket({
      seed: this.settings.seed,
      rate: this.settings.rate === 'max' ? 1 : this.settings.rate,
      startAt: clock.now(),
      wallNow: () => clock.now(),
      emit: (event) => context.emit(event),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.starts += 1;
    this.context.setState({ state: 'connecting', detail: 'starting simulator' });
    const clock = this.context.clock;
    this.startTimer = clock.setTimeout(() => {
      this.startTimer = null;
      this.context.setState({ state: 'connected', detail: `simulator running (seed ${this.settings.seed})` });
      this.tickTimer = clock.setInterval(() => this.tick(), TICK_MS);
    }, 0);
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    this.subscribeCalls += 1;
    for (const sub of subscriptions) {
      const problem = subscriptionProblem(sub, this.context.clock.now());
      if (problem) {
        this.context.error(new MarketError('SUBSCRIPTION', problem, { provider: 'sim', symbol: sub.symbol, channel: sub.channel }));
        continue;
      }
      this.active.set(sub.key, sub);
      this.market.add(sub);
    }
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      if (this.active.delete(sub.key)) this.market.remove(sub);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    const clock = this.context.clock;
    if (this.startTimer !== null) clock.clearTimeout(this.startTimer);
    if (this.tickTimer !== null) clock.clearInterval(this.tickTimer);
    if (this.immediate) clearImmediate(this.immediate);
    this.startTimer = null;
    this.tickTimer = null;
    this.immediate = null;
    this.active.clear();
    this.context.setState({ state: 'closed', detail: 'simulator stopped' });
  }

  stats(): Record<string, number> {
    return { connections: this.starts, subscribeCalls: this.subscribeCalls, activeSubscriptions: this.active.size, events: this.market.eventsEmitted };
  }

  private tick(): void {
    if (this.settings.rate !== 'max') {
      this.market.advanceTo(this.context.clock.now());
    } else if (!this.immediate && this.active.size > 0) {
      this.runFlat();
    }
  }

  /** Full speed: batches of virtual time, yielding to the event loop between batches. */
  private runFlat(): void {
    if (!this.running || this.active.size === 0) {
      this.immediate = null;
      return;
    }
    this.market.advanceTo(this.market.virtualNow + MAX_BATCH_MS, MAX_BATCH_RUNS);
    this.immediate = setImmediate(() => this.runFlat());
  }
}

/** Why the sim cannot serve a subscription, or null when it can. */
function subscriptionProblem(sub: UpstreamSubscription, now: number): string | null {
  const { symbol, channel } = sub;
  const optionChannels: readonly Channel[] = ['quote', 'trade', 'greeks', 'summary'];
  if (symbol.endsWith('*')) {
    return optionChannels.includes(channel) ? null : `sim: ${channel} is not offered for a whole chain (${symbol}); chains carry quote, trade, greeks and summary`;
  }
  const contract = contractFor(symbol);
  if (contract) {
    if (contract.expiresAt <= now) return `sim: ${symbol.replace(/\s+/, ' ')} expired on ${contract.option.expiry}`;
    return optionChannels.includes(channel) ? null : `sim: ${channel} is not offered for options; use quote, trade, greeks or summary`;
  }
  if (!simInstrument(symbol)) return `sim has no symbol ${symbol}`;
  if (channel === 'greeks') return `sim: greeks are for options, and ${symbol} is not one; subscribe to a contract (OCC symbol) or a chain like SPY*`;
  return null;
}

function simConfigError(message: string): MarketError {
  return new MarketError('CONFIG', `sim: ${message}`, { provider: 'sim' });
}
