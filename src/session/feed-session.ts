/**
 * One FeedSession per market-provider config node: it owns the provider adapter (and so the
 * upstream connection), opens it when the first node attaches, closes it when the last one
 * leaves, counts subscriptions by (channel, symbol, interval) across nodes, and routes each
 * event only to the nodes that asked for it.
 */
import { EVENT_CHANNEL, type Channel, type MarketEvent, type NoticeEvent, type StatusEvent } from '../model/events';
import { MarketError } from '../model/errors';
import type { AdapterContext, ProviderAdapter, ProviderDefinition, ProviderSettings, SymbolStatus, UpstreamSubscription } from '../model/provider';
import { systemClock } from '../transport/clock';
import type { Clock, TimerHandle } from '../model/clock';
import type { ConnectionChange } from '../model/connection';
import { silentLogger } from '../transport/log';
import type { Logger } from '../model/logger';
import { createRedactor, redactError, redactingLogger, type Redactor } from '../model/redact';

/** A node that receives events from a session (implemented by StreamConsumer). */
export interface SessionUser {
  readonly id: string;
  onEvent(event: MarketEvent): void;
  onStatus(status: StatusEvent | NoticeEvent): void;
  onError(error: MarketError): void;
}

export interface SubscriptionRequest {
  channel: Channel;
  /** Canonical symbol (see ProviderDefinition.canonicalSymbol). */
  symbol: string;
  /** Candles only. */
  interval?: string;
  /** Books only: levels per side this user wants. */
  depth?: number;
}

export interface FeedSessionOptions {
  clock?: Clock;
  log?: Logger;
  /** After the last user left without being removed (a redeploy), close if nobody returns within this time. */
  idleCloseMs?: number;
}

export interface SessionStats {
  /** Adapters started (each one is an upstream connection set). */
  adapterStarts: number;
  /** Upstream subscriptions requested from the adapter, counted one per key. */
  upstreamSubscribes: number;
  upstreamUnsubscribes: number;
  /** Keys currently subscribed upstream. */
  activeUpstream: number;
  users: number;
  connected: boolean;
  adapter: Record<string, number>;
}

export const DEFAULT_BOOK_DEPTH = 10;
const DEFAULT_IDLE_CLOSE_MS = 5_000;

interface Route {
  readonly user: SessionUser;
  depth: number;
}

export function routeKey(channel: Channel, symbol: string, interval?: string): string {
  return channel === 'candle' && interval ? `${symbol}@${interval}` : symbol;
}

export function subscriptionKey(request: SubscriptionRequest): string {
  return `${request.channel}:${routeKey(request.channel, request.symbol, request.interval)}`;
}

export class FeedSession {
  readonly provider: ProviderDefinition;
  readonly settings: ProviderSettings;
  private readonly clock: Clock;
  /** Every text that reaches a log line, a status, a msg or the admin API passes through it. */
  private readonly redact: Redactor;
  private readonly log: Logger;
  private readonly idleCloseMs: number;
  private readonly users = new Map<string, SessionUser>();
  private readonly upstream = new Map<string, UpstreamSubscription>();
  /** key → (user id → depth) */
  private readonly refs = new Map<string, Map<string, number>>();
  /** channel → route key → users; arrays are replaced, never mutated, so dispatch can iterate safely. */
  private readonly routes = new Map<Channel, Map<string, Route[]>>();
  private chainRouteCount = 0;
  private adapter: ProviderAdapter | null = null;
  private adapterAlive: { alive: boolean } = { alive: false };
  private stopping: Promise<void> = Promise.resolve();
  private idleTimer: TimerHandle = null;
  private connection: StatusEvent;
  private closed = false;
  private readonly counters = { adapterStarts: 0, upstreamSubscribes: 0, upstreamUnsubscribes: 0 };

  constructor(provider: ProviderDefinition, settings: ProviderSettings, options: FeedSessionOptions = {}) {
    this.provider = provider;
    this.settings = settings;
    this.clock = options.clock ?? systemClock;
    this.redact = createRedactor(settings.credentials);
    this.log = redactingLogger(options.log ?? silentLogger, this.redact);
    this.idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.connection = this.statusEvent({ state: 'closed', detail: 'not connected' });
  }

  /** The latest connection status. */
  get status(): StatusEvent {
    return this.connection;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Adds a user; the first one opens the upstream connection. The user gets the current status at once. */
  attach(user: SessionUser): void {
    if (this.closed) throw new MarketError('CONFIG', `${this.provider.id}: the provider config node is closed`, { provider: this.provider.id });
    this.cancelIdleClose();
    this.ensureAdapter();
    this.users.set(user.id, user);
    user.onStatus(this.connection);
  }

  /**
   * Removes a user and its subscriptions. When it was the last user, the connection closes now
   * if the node was removed from the flow, or after idleCloseMs if it is being redeployed.
   */
  async detach(userId: string, removed: boolean): Promise<void> {
    const mine: SubscriptionRequest[] = [];
    for (const [key, holders] of this.refs) {
      if (holders.has(userId)) {
        const sub = this.upstream.get(key);
        if (sub) mine.push(requestOf(sub));
      }
    }
    this.unsubscribe(userId, mine);
    this.users.delete(userId);
    if (this.users.size > 0 || !this.adapter) return;
    if (removed) await this.stopAdapter();
    else this.scheduleIdleClose();
  }

  subscribe(userId: string, requests: readonly SubscriptionRequest[]): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`subscribe before attach: ${userId}`);
    const added: UpstreamSubscription[] = [];
    for (const request of requests) {
      const key = subscriptionKey(request);
      const depth = request.channel === 'book' ? (request.depth ?? DEFAULT_BOOK_DEPTH) : 0;
      let sub = this.upstream.get(key);
      let holders = this.refs.get(key);
      if (!sub || !holders) {
        sub = request.channel === 'candle' && request.interval
          ? { key, channel: request.channel, symbol: request.symbol, interval: request.interval, depth }
          : { key, channel: request.channel, symbol: request.symbol, depth };
        holders = new Map();
        this.upstream.set(key, sub);
        this.refs.set(key, holders);
        added.push(sub);
      }
      holders.set(userId, depth);
      sub.depth = Math.max(...holders.values());
      this.addRoute(request, user, depth);
    }
    if (added.length > 0 && this.adapter) {
      this.counters.upstreamSubscribes += added.length;
      this.adapter.subscribe(added);
    }
  }

  unsubscribe(userId: string, requests: readonly SubscriptionRequest[]): void {
    const removed: UpstreamSubscription[] = [];
    for (const request of requests) {
      const key = subscriptionKey(request);
      const holders = this.refs.get(key);
      const sub = this.upstream.get(key);
      if (!holders || !sub || !holders.delete(userId)) continue;
      this.removeRoute(request, userId);
      if (holders.size === 0) {
        this.refs.delete(key);
        this.upstream.delete(key);
        removed.push(sub);
      } else {
        sub.depth = Math.max(...holders.values());
      }
    }
    if (removed.length > 0 && this.adapter) {
      this.counters.upstreamUnsubscribes += removed.length;
      this.adapter.unsubscribe(removed);
    }
  }

  /** Upstream subscriptions currently held (one per channel, symbol and interval). */
  upstreamSubscriptions(): UpstreamSubscription[] {
    return [...this.upstream.values()];
  }

  stats(): SessionStats {
    return {
      ...this.counters,
      activeUpstream: this.upstream.size,
      users: this.users.size,
      connected: this.connection.state === 'connected',
      adapter: this.adapter?.stats?.() ?? {},
    };
  }

  /** Closes the connection for good (the config node is closing). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelIdleClose();
    this.users.clear();
    this.refs.clear();
    this.upstream.clear();
    this.routes.clear();
    this.chainRouteCount = 0;
    await this.stopAdapter();
  }

  private ensureAdapter(): void {
    if (this.adapter) return;
    const token = { alive: true };
    this.adapterAlive = token;
    const context = this.createContext(token);
    const adapter = this.provider.create(context);
    this.adapter = adapter;
    this.counters.adapterStarts += 1;
    adapter.start();
    const existing = [...this.upstream.values()];
    if (existing.length > 0) {
      this.counters.upstreamSubscribes += existing.length;
      adapter.subscribe(existing);
    }
  }

  private async stopAdapter(): Promise<void> {
    this.cancelIdleClose();
    const adapter = this.adapter;
    if (!adapter) return this.stopping;
    this.adapter = null;
    this.adapterAlive.alive = false;
    this.stopping = adapter.stop().catch((err: unknown) => {
      this.log.warn(`${this.provider.id}: error while closing: ${err instanceof Error ? err.message : String(err)}`);
    });
    await this.stopping;
    this.connection = this.statusEvent({ state: 'closed', detail: 'closed' });
  }

  private scheduleIdleClose(): void {
    this.cancelIdleClose();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.users.size === 0) void this.stopAdapter();
    }, this.idleCloseMs);
  }

  private cancelIdleClose(): void {
    if (this.idleTimer === null) return;
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private createContext(token: { alive: boolean }): AdapterContext {
    return {
      settings: this.settings,
      clock: this.clock,
      log: this.log,
      emit: (event) => {
        if (token.alive) this.dispatch(event);
      },
      setState: (change) => {
        if (token.alive) this.broadcastState(change);
      },
      symbolStatus: (status) => {
        if (token.alive) this.broadcastSymbolStatus(status);
      },
      error: (error) => {
        if (token.alive) this.broadcastError(redactError(error, this.redact));
      },
      notice: (notice) => {
        if (!token.alive) return;
        const event: NoticeEvent = { type: 'notice', ...notice, detail: this.redact(notice.detail), provider: this.provider.id, ts: this.clock.now() };
        for (const user of [...this.users.values()]) user.onStatus(event);
      },
    };
  }

  private dispatch(event: MarketEvent): void {
    const table = this.routes.get(EVENT_CHANNEL[event.type]);
    if (!table) return;
    const routes = table.get(event.type === 'candle' ? `${event.symbol}@${event.interval}` : event.symbol);
    if (routes) deliver(routes, event, this.log);
    if (this.chainRouteCount > 0 && event.option) {
      const chain = table.get(`${event.option.underlying}*`);
      if (chain) deliver(chain, event, this.log);
    }
  }

  private broadcastState(change: ConnectionChange): void {
    this.connection = this.statusEvent(change);
    const error = change.error ? redactError(change.error, this.redact) : undefined;
    for (const user of [...this.users.values()]) {
      user.onStatus(this.connection);
      if (error) user.onError(error);
    }
  }

  private broadcastSymbolStatus(status: SymbolStatus): void {
    const event: StatusEvent = { type: 'status', state: status.state, detail: this.redact(status.detail), provider: this.provider.id, symbol: status.symbol, ts: this.clock.now() };
    for (const user of this.usersOf(status.symbol, status.channel)) user.onStatus(event);
  }

  private broadcastError(error: MarketError): void {
    const targets = error.symbol ? this.usersOf(error.symbol, error.channel) : [...this.users.values()];
    for (const user of targets) user.onError(error);
  }

  /** Users subscribed to a symbol, on one channel or on any. */
  private usersOf(symbol: string, channel?: Channel): SessionUser[] {
    const found = new Map<string, SessionUser>();
    for (const [routeChannel, table] of this.routes) {
      if (channel && routeChannel !== channel) continue;
      for (const [key, routes] of table) {
        if (key === symbol || key.startsWith(`${symbol}@`)) for (const route of routes) found.set(route.user.id, route.user);
      }
    }
    return [...found.values()];
  }

  private addRoute(request: SubscriptionRequest, user: SessionUser, depth: number): void {
    let table = this.routes.get(request.channel);
    if (!table) {
      table = new Map();
      this.routes.set(request.channel, table);
    }
    const key = routeKey(request.channel, request.symbol, request.interval);
    const current = table.get(key) ?? [];
    const existing = current.find((route) => route.user.id === user.id);
    if (existing) {
      existing.depth = depth;
      return;
    }
    table.set(key, [...current, { user, depth }]);
    if (key.endsWith('*')) this.chainRouteCount += 1;
  }

  private removeRoute(request: SubscriptionRequest, userId: string): void {
    const table = this.routes.get(request.channel);
    const key = routeKey(request.channel, request.symbol, request.interval);
    const current = table?.get(key);
    if (!table || !current) return;
    const remaining = current.filter((route) => route.user.id !== userId);
    if (remaining.length === current.length) return;
    if (key.endsWith('*')) this.chainRouteCount -= 1;
    if (remaining.length > 0) table.set(key, remaining);
    else table.delete(key);
  }

  private statusEvent(change: ConnectionChange): StatusEvent {
    const event: StatusEvent = { type: 'status', state: change.state, detail: this.redact(change.detail), provider: this.provider.id, ts: this.clock.now() };
    if (change.attempt !== undefined) event.attempt = change.attempt;
    if (change.retryInMs !== undefined) event.retryInMs = change.retryInMs;
    return event;
  }
}

function requestOf(sub: UpstreamSubscription): SubscriptionRequest {
  const request: SubscriptionRequest = { channel: sub.channel, symbol: sub.symbol };
  if (sub.interval !== undefined) request.interval = sub.interval;
  return request;
}

function deliver(routes: readonly Route[], event: MarketEvent, log: Logger): void {
  for (const route of routes) {
    try {
      if (event.type === 'book' && (event.bids.length > route.depth || event.asks.length > route.depth)) {
        route.user.onEvent({ ...event, bids: event.bids.slice(0, route.depth), asks: event.asks.slice(0, route.depth), depth: route.depth });
      } else {
        route.user.onEvent(event);
      }
    } catch (err) {
      log.error(`delivering ${event.type} ${event.symbol} to ${route.user.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
