/**
 * The core of one stream-in node, without Node-RED: attached to a FeedSession (by the
 * provider config node's register), it holds the node's subscriptions, applies throttling, counts msgs, errors and silent symbols, and tells
 * the node what to send and which status to show.
 */
import type { Channel, ConnectionState, HealthEvent, MarketEvent, NoticeEvent, StatusEvent } from '../model/events';
import type { MarketError } from '../model/errors';
import { systemClock } from '../transport/clock';
import type { Clock, TimerHandle } from '../model/clock';
import { Conflator } from './conflator';
import type { FeedSession, SessionUser, SubscriptionRequest } from './feed-session';
import type { StreamSpec, SubscriptionCommand } from './stream-config';

/** What the node shows as its status: an i18n key under `<type>.status.*` plus parameters. */
export interface StatusView {
  fill: 'green' | 'yellow' | 'red' | 'grey';
  shape: 'dot' | 'ring';
  key: 'connecting' | 'live' | 'reconnecting' | 'stale' | 'authFailed' | 'error' | 'closed' | 'idle';
  /** msgs/s, for `live`. */
  rate?: number;
  /** Reconnect attempt, for `reconnecting`. */
  attempt?: number;
}

export interface ConsumerSink {
  /** Output 1. */
  event(event: MarketEvent): void;
  /** Output 2. */
  status(event: StatusEvent | NoticeEvent | HealthEvent): void;
  /** node.error; repeats of one message (any unreadable frame of a provider) are held back for errorRepeatMs. */
  error(error: MarketError): void;
  /** node.status */
  display(view: StatusView): void;
}

export interface ConsumerOptions {
  clock?: Clock;
  /** How often the status dot's msg rate is refreshed. */
  displayEveryMs?: number;
  /** How often a health msg goes out on output 2. */
  healthEveryMs?: number;
  /** The same error text, or any unreadable frame of a provider, reaches node.error at most once per this period (all are counted). */
  errorRepeatMs?: number;
}

export class StreamConsumer implements SessionUser {
  readonly id: string;
  private readonly session: FeedSession;
  private readonly spec: StreamSpec;
  private readonly sink: ConsumerSink;
  private readonly clock: Clock;
  private readonly displayEveryMs: number;
  private readonly healthEveryMs: number;
  private readonly errorRepeatMs: number;
  private readonly conflator: Conflator | null;
  /** Subscribed symbol → time of its last event (or of the subscription). */
  private readonly lastSeen = new Map<string, number>();
  private readonly held = new Map<string, SubscriptionRequest>();
  private readonly errorLastShown = new Map<string, number>();
  private connection: ConnectionState = 'connecting';
  private connectionError: MarketError | null = null;
  private attempt: number | undefined;
  private chainSubscriptions = 0;
  private sentSinceDisplay = 0;
  private sentSinceHealth = 0;
  private lastDisplayAt = 0;
  private lastHealthAt = 0;
  private errorCount = 0;
  private lastView = '';
  private currentRate = 0;
  private displayTimer: TimerHandle = null;
  private healthTimer: TimerHandle = null;
  private running = false;
  private stopped = false;

  constructor(id: string, session: FeedSession, spec: StreamSpec, sink: ConsumerSink, options: ConsumerOptions = {}) {
    this.id = id;
    this.session = session;
    this.spec = { ...spec, symbols: [...spec.symbols], channels: [...spec.channels] };
    this.sink = sink;
    this.clock = options.clock ?? systemClock;
    this.displayEveryMs = options.displayEveryMs ?? 2_000;
    this.healthEveryMs = options.healthEveryMs ?? 10_000;
    this.errorRepeatMs = options.errorRepeatMs ?? 60_000;
    this.conflator = spec.throttleMs > 0 ? new Conflator(spec.throttleMs, this.clock, (event) => this.send(event)) : null;
  }

  /** Symbols this node is subscribed to now. */
  get symbols(): string[] {
    return [...this.lastSeen.keys()];
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const now = this.clock.now();
    this.lastDisplayAt = now;
    this.lastHealthAt = now;
    this.apply({ action: 'subscribe', symbols: this.spec.symbols, channels: this.spec.channels });
    this.displayTimer = this.clock.setInterval(() => this.tickDisplay(), this.displayEveryMs);
    this.healthTimer = this.clock.setInterval(() => this.emitHealth(), this.healthEveryMs);
    this.showView();
  }

  /** Changes subscriptions at run time (an input msg). */
  apply(command: SubscriptionCommand): void {
    if (command.action === 'replace') this.release([...this.held.values()]);
    const requests = this.requestsFor(command.symbols, command.channels);
    if (command.action === 'unsubscribe') {
      this.release(requests.filter((request) => this.held.has(requestKey(request))));
    } else {
      const fresh = requests.filter((request) => !this.held.has(requestKey(request)));
      const now = this.clock.now();
      for (const request of fresh) {
        this.held.set(requestKey(request), request);
        if (!this.lastSeen.has(request.symbol)) {
          this.lastSeen.set(request.symbol, now);
          if (request.symbol.endsWith('*')) this.chainSubscriptions += 1;
        }
      }
      if (fresh.length > 0) this.session.subscribe(this.id, fresh);
    }
    this.showView();
  }

  /** Drops this node's subscriptions and timers. Detaching from the session is the caller's job. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.release([...this.held.values()]);
    this.running = false;
    this.clock.clearInterval(this.displayTimer);
    this.clock.clearInterval(this.healthTimer);
    this.displayTimer = null;
    this.healthTimer = null;
    this.conflator?.stop();
  }

  onEvent(event: MarketEvent): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (this.lastSeen.has(event.symbol)) this.lastSeen.set(event.symbol, now);
    if (this.chainSubscriptions > 0 && event.option) {
      const chain = `${event.option.underlying}*`;
      if (this.lastSeen.has(chain)) this.lastSeen.set(chain, now);
    }
    if (this.conflator) this.conflator.push(event);
    else this.send(event);
  }

  /** Also called by the session during attach, before start(). */
  onStatus(status: StatusEvent | NoticeEvent): void {
    if (this.stopped) return;
    if (status.type === 'status' && status.symbol === undefined && status.state !== 'resyncing' && status.state !== 'synced') {
      this.connection = status.state;
      this.attempt = status.attempt;
      if (status.state !== 'error') this.connectionError = null;
    }
    this.sink.status(status);
    this.showView();
  }

  onError(error: MarketError): void {
    if (this.stopped) return;
    this.errorCount += 1;
    if (error.code === 'AUTH' || error.code === 'CONFIG') this.connectionError = error;
    const now = this.clock.now();
    const key = repeatKey(error);
    const shownAt = this.errorLastShown.get(key);
    if (shownAt !== undefined && now - shownAt < this.errorRepeatMs) return;
    if (this.errorLastShown.size > 100) this.errorLastShown.clear();
    this.errorLastShown.set(key, now);
    this.sink.error(error);
    this.showView();
  }

  health(): HealthEvent {
    const now = this.clock.now();
    const elapsedS = Math.max(0.001, (now - this.lastHealthAt) / 1000);
    const stale: string[] = [];
    if (this.spec.staleAfterMs > 0) {
      for (const [symbol, seenAt] of this.lastSeen) if (now - seenAt > this.spec.staleAfterMs) stale.push(symbol);
    }
    return {
      type: 'health',
      msgsPerSec: Math.round((this.sentSinceHealth / elapsedS) * 10) / 10,
      dropped: this.conflator?.dropped ?? 0,
      errors: this.errorCount,
      stale,
      ts: now,
    };
  }

  private send(event: MarketEvent): void {
    this.sentSinceDisplay += 1;
    this.sentSinceHealth += 1;
    this.sink.event(event);
  }

  private emitHealth(): void {
    const health = this.health();
    this.sentSinceHealth = 0;
    this.lastHealthAt = health.ts;
    this.sink.status(health);
  }

  /** Timer: recompute the msg rate shown on the status dot. */
  private tickDisplay(): void {
    const now = this.clock.now();
    const elapsedMs = now - this.lastDisplayAt;
    this.currentRate = elapsedMs > 0 ? Math.round((this.sentSinceDisplay * 10_000) / elapsedMs) / 10 : 0;
    this.sentSinceDisplay = 0;
    this.lastDisplayAt = now;
    this.showView();
  }

  private showView(): void {
    if (!this.running) return;
    const view = this.view();
    const signature = `${view.key}|${view.fill}|${view.shape}|${view.rate ?? ''}|${view.attempt ?? ''}`;
    if (signature === this.lastView) return;
    this.lastView = signature;
    this.sink.display(view);
  }

  private view(): StatusView {
    if (this.held.size === 0) return { fill: 'grey', shape: 'ring', key: 'idle' };
    switch (this.connection) {
      case 'connected':
        return { fill: 'green', shape: 'dot', key: 'live', rate: this.currentRate };
      case 'connecting':
        return { fill: 'yellow', shape: 'ring', key: 'connecting' };
      case 'stale':
        return { fill: 'yellow', shape: 'dot', key: 'stale' };
      case 'reconnecting':
        return this.attempt === undefined ? { fill: 'red', shape: 'ring', key: 'reconnecting' } : { fill: 'red', shape: 'ring', key: 'reconnecting', attempt: this.attempt };
      case 'error':
        return { fill: 'red', shape: 'dot', key: this.connectionError?.code === 'AUTH' ? 'authFailed' : 'error' };
      case 'closed':
        return { fill: 'red', shape: 'ring', key: 'closed' };
    }
  }

  private release(requests: SubscriptionRequest[]): void {
    if (requests.length === 0) return;
    for (const request of requests) this.held.delete(requestKey(request));
    const stillHeld = new Set([...this.held.values()].map((request) => request.symbol));
    for (const request of requests) {
      if (stillHeld.has(request.symbol) || !this.lastSeen.delete(request.symbol)) continue;
      if (request.symbol.endsWith('*')) this.chainSubscriptions -= 1;
    }
    this.session.unsubscribe(this.id, requests);
  }

  private requestsFor(symbols: readonly string[], channels: readonly Channel[]): SubscriptionRequest[] {
    const requests: SubscriptionRequest[] = [];
    for (const symbol of symbols) {
      for (const channel of channels) {
        if (channel === 'candle') requests.push({ channel, symbol, interval: this.spec.interval });
        else if (channel === 'book') requests.push({ channel, symbol, depth: this.spec.depth });
        else requests.push({ channel, symbol });
      }
    }
    return requests;
  }
}

/**
 * Which errors count as repeats of each other for node.error: the same text, except that every
 * unreadable frame of a provider (PROTOCOL, per symbol when it names one) counts as one whatever
 * its text: a feed sending garbage varies the details, and would otherwise flood the log and the
 * Catch nodes.
 */
function repeatKey(error: MarketError): string {
  return error.code === 'PROTOCOL' ? `PROTOCOL:${error.provider ?? ''}:${error.symbol ?? ''}` : error.message;
}

function requestKey(request: SubscriptionRequest): string {
  return `${request.channel}:${request.symbol}@${request.interval ?? ''}`;
}
