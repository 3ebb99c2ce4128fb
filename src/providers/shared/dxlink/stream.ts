/**
 * One DXLink connection with one FEED channel, shared by the tastytrade and dxfeed adapters.
 *
 * @dxfeed/dxlink-api owns the socket: SETUP, AUTH, keepalives, dead-peer timeout, reconnect
 * (1 s × attempt) and re-requesting the channel after a reconnect. Its connection, auth and error
 * listeners are mapped to our states here. We step in only where the library stops trying: it
 * gives up for good when the server refuses the token (or closes an unauthorized socket), and
 * then we fetch a fresh token and connect again after our capped backoff.
 *
 * The FEED channel's messages are handled here rather than by the library's DXLinkFeed, which
 * decodes only the first COMPACT pair of a frame and trusts FEED_CONFIG's format (docs/protocols/dxlink-tastytrade.md
 * §7 item 7, §9).
 */
import {
  DXLinkAuthState,
  DXLinkChannelState,
  DXLinkConnectionState,
  DXLinkLogLevel,
  type DXLinkChannel,
  type DXLinkChannelMessage,
  type DXLinkError,
  type DXLinkWebSocketClient,
} from '@dxfeed/dxlink-api';
import { parseOccSymbol } from '../../../model/occ';
import { MarketError, redactUrl } from '../../../model/errors';
import { Backoff } from '../../../transport/backoff';
import { CredentialsRefused } from '../oauth-refresh';
import type { TimerHandle } from '../../../model/clock';
import { asMarketError } from '../../../transport/resilient-socket';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../../model/provider';
import { FeedDataDecoder, REQUESTED_FIELDS, type FeedConfigMessage } from './feed-data';
import { defaultSymbolRef, normalizeDxRecord, type SymbolRef } from './decode';
import { candleSymbol, intervalMs, toDxlinkSymbol } from './symbols';
import { createDxlinkClient } from './websocket-client';
import { LIBRARY_RECONNECT_ATTEMPTS, AGGREGATION_PERIOD_S, SUBSCRIPTION_CHUNK, AUTH_ANSWER_MS, CHANNEL_REOPEN_MS } from './limits';

export interface DxlinkAccess {
  url: string;
  /** Sent in AUTH; absent for servers that need none (the public demo). */
  token?: string;
}

/** Which DXLink event feeds the `trade` channel (options.tradeEvent). */
export type TradeEventType = 'Trade' | 'TimeAndSale';

export interface DxlinkStreamOptions {
  /** Provider id, for events, logs and errors. */
  provider: string;
  context: AdapterContext;
  /** URL and token for a connection we open: the first one, and after the library gave up. */
  access(): Promise<DxlinkAccess>;
  /** The server refused the token: forget it so that access() fetches a new one. */
  onTokenRejected?(): void;
  tradeEvent: TradeEventType;
}

interface DxSubscription {
  type: string;
  symbol: string;
  fromTime?: number;
}

export class DxlinkStream {
  private readonly options: DxlinkStreamOptions;
  private readonly context: AdapterContext;
  private readonly backoff: Backoff;
  private readonly decoder = new FeedDataDecoder();
  private readonly held = new Map<string, UpstreamSubscription>();
  /** DXLink symbol (streamer or candle symbol) → our symbol and interval. */
  private readonly symbolRefs = new Map<string, SymbolRef>();
  private client: DXLinkWebSocketClient | null = null;
  private channel: DXLinkChannel | null = null;
  /** A renewed token, handed to the library when it next (re)connects. */
  private pendingToken: string | undefined;
  private tokenInUse = false;
  private stopped = true;
  private disconnecting = false;
  private everConnected = false;
  private authStatesThisAttempt = 0;
  /** AUTH went out on this attempt's socket (so a give-up after it is about the token, not the network). */
  private authSentThisAttempt = false;
  private libraryAttempts = 0;
  /** Attempts in a row whose socket closed without a reason after AUTH went out. */
  private silentAuthCloses = 0;
  private lastProblem = '';
  private retryTimer: TimerHandle = null;
  private authTimer: TimerHandle = null;
  private stableTimer: TimerHandle = null;
  private reopenTimer: TimerHandle = null;
  private readonly counters = { connections: 0, libraryReconnects: 0, authRejections: 0, subscriptionFrames: 0, dataFrames: 0, malformed: 0 };

  constructor(options: DxlinkStreamOptions) {
    this.options = options;
    this.context = options.context;
    this.backoff = new Backoff();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.context.setState({ state: 'connecting', detail: 'connecting' });
    void this.open();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const added: DxSubscription[] = [];
    for (const sub of subscriptions) {
      this.held.set(sub.key, sub);
      added.push(...this.dxSubscriptionsOf(sub));
    }
    if (this.channelReady()) this.sendSubscriptions({ add: added });
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const removed: DxSubscription[] = [];
    for (const sub of subscriptions) {
      if (!this.held.delete(sub.key)) continue;
      removed.push(...this.dxSubscriptionsOf(sub).map(({ type, symbol }) => ({ type, symbol })));
    }
    if (this.channelReady()) this.sendSubscriptions({ remove: removed });
  }

  /** A renewed token: used from the next connection on; the live one stays as it is. */
  renewToken(token: string): void {
    this.pendingToken = token;
    if (this.client && this.client.getConnectionState() !== DXLinkConnectionState.CONNECTED) this.applyPendingToken();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const name of ['retryTimer', 'authTimer', 'stableTimer', 'reopenTimer'] as const) this.clearTimer(name);
    const client = this.client;
    this.client = null;
    // No CHANNEL_CANCEL: closing the connection ends the channel, and the library re-arms its
    // KEEPALIVE timer on every send, even on a closed connection (it would then run forever).
    this.channel = null;
    if (client) {
      client.removeConnectionStateChangeListener(this.onConnectionState);
      client.removeAuthStateChangeListener(this.onAuthState);
      client.removeErrorListener(this.onError);
      client.close();
    }
    this.context.setState({ state: 'closed', detail: 'closed' });
  }

  stats(): Record<string, number> {
    return { ...this.counters, activeSubscriptions: this.held.size };
  }

  /** Connects with a fresh URL and token. */
  private async open(): Promise<void> {
    let access: DxlinkAccess;
    try {
      access = await this.options.access();
    } catch (err) {
      this.retryLater(asMarketError(err, this.options.provider));
      return;
    }
    if (this.stopped) return;
    const client = this.ensureClient();
    this.tokenInUse = access.token !== undefined;
    if (access.token !== undefined) client.setAuthToken(access.token);
    this.pendingToken = undefined;
    this.authStatesThisAttempt = 0;
    this.authSentThisAttempt = false;
    this.counters.connections += 1;
    this.context.log.debug(`${this.options.provider}: connecting to ${redactUrl(access.url)}`);
    try {
      client.connect(access.url);
    } catch (err) {
      // The library keeps a connector for a URL it could not open; forget it so the retry opens anew.
      this.disconnect();
      this.retryLater(new MarketError('CONFIG', `${this.options.provider}: cannot open ${redactUrl(access.url)}: ${err instanceof Error ? err.message : String(err)}`, { provider: this.options.provider }));
      return;
    }
    if (!this.channel) this.openChannel(client);
  }

  private ensureClient(): DXLinkWebSocketClient {
    if (this.client) return this.client;
    // The library retries a dropped connection by itself, waiting 1 s × the attempt number and
    // without end. After 30 attempts (the 30 s cap of our backoff) it gives up and reports
    // NOT_CONNECTED; from there our capped backoff with jitter takes over (retryLater).
    const client = createDxlinkClient({ logLevel: DXLinkLogLevel.ERROR, maxReconnectAttempts: LIBRARY_RECONNECT_ATTEMPTS }, (reason) => this.malformed(reason));
    client.addConnectionStateChangeListener(this.onConnectionState);
    client.addAuthStateChangeListener(this.onAuthState);
    client.addErrorListener(this.onError);
    this.client = client;
    return client;
  }

  private openChannel(client: DXLinkWebSocketClient): void {
    const channel = client.openChannel('FEED', { contract: 'AUTO' });
    channel.addStateChangeListener((state) => this.onChannelState(channel, state));
    channel.addMessageListener((message) => this.onChannelMessage(channel, message));
    channel.addErrorListener((error) => this.context.log.warn(`${this.options.provider}: FEED channel error ${error.type}: ${error.message}`));
    this.channel = channel;
  }

  private readonly onConnectionState = (state: DXLinkConnectionState, prev: DXLinkConnectionState): void => {
    if (this.stopped || this.disconnecting) return;
    if (state === DXLinkConnectionState.CONNECTING) {
      this.applyPendingToken();
      this.authStatesThisAttempt = 0;
      this.authSentThisAttempt = false;
      if (prev === DXLinkConnectionState.CONNECTED) {
        this.clearTimer('stableTimer');
        this.counters.libraryReconnects += 1;
        // A closed socket reports an error first; a reconnect with none since CONNECTED is the
        // library's keepalive timeout: the feed went silent. Say so, as the other providers do.
        if (this.lastProblem === '') {
          this.lastProblem = 'no data within the keepalive timeout the server announced';
          this.context.setState({ state: 'stale', detail: this.lastProblem });
        }
        this.reportLibraryRetry();
      }
    } else if (state === DXLinkConnectionState.CONNECTED) {
      this.clearTimer('authTimer');
      this.libraryAttempts = 0;
      this.silentAuthCloses = 0;
      this.lastProblem = '';
      this.everConnected = true;
      this.context.setState({ state: 'connected', detail: 'connected' });
      this.stableTimer = this.context.clock.setTimeout(() => {
        this.stableTimer = null;
        this.backoff.reset();
      }, this.backoff.resetAfterMs);
    } else if (state === DXLinkConnectionState.NOT_CONNECTED) {
      // The library stopped trying: it does so when a socket closes while unauthorized, which
      // includes a first connection that never opened (its auth state starts UNAUTHORIZED).
      this.clearTimer('authTimer');
      const unanswered = this.tokenInUse && this.authSentThisAttempt && this.client?.getAuthState() !== DXLinkAuthState.AUTHORIZED;
      // A socket cut without a word after AUTH went out is what a network drop looks like, and also
      // a server that closes on a bad token without saying so: once counts as the network, twice in a row as a refusal.
      const silent = /^(UNKNOWN: )?$/.test(this.lastProblem);
      this.silentAuthCloses = unanswered && silent ? this.silentAuthCloses + 1 : 0;
      const refused = unanswered && (!silent || this.silentAuthCloses >= 2);
      this.retryLater(refused ? this.authError(silent ? 'the server closed the connection before authorizing' : this.lastProblem) : this.networkError(silent ? 'connection closed' : this.lastProblem));
    }
  };

  private readonly onAuthState = (state: DXLinkAuthState, prev: DXLinkAuthState): void => {
    if (this.stopped || this.disconnecting) return;
    if (state === DXLinkAuthState.AUTHORIZING) {
      this.authSentThisAttempt = true;
      this.clearTimer('authTimer');
      this.authTimer = this.context.clock.setTimeout(() => {
        this.authTimer = null;
        this.refuseToken(`no AUTH_STATE answer within ${AUTH_ANSWER_MS / 1000} s`);
      }, AUTH_ANSWER_MS);
      return;
    }
    if (state === DXLinkAuthState.AUTHORIZED) {
      this.clearTimer('authTimer');
      return;
    }
    // UNAUTHORIZED: the first one of a connection announces that auth is required (§3.1);
    // another one, or one after AUTHORIZED, means the token was refused or revoked.
    this.authStatesThisAttempt += 1;
    if (this.tokenInUse && (prev === DXLinkAuthState.AUTHORIZED || this.authStatesThisAttempt >= 2)) {
      this.refuseToken(this.lastProblem.startsWith('UNAUTHORIZED') ? this.lastProblem : 'AUTH_STATE UNAUTHORIZED');
    }
  };

  private readonly onError = (error: DXLinkError): void => {
    if (this.stopped) return;
    this.lastProblem = `${error.type}: ${error.message}`;
    this.context.log.info(`${this.options.provider}: ${this.lastProblem}`);
    if ((error.type === 'UNKNOWN' || error.type === 'TIMEOUT') && this.client?.getConnectionState() !== DXLinkConnectionState.NOT_CONNECTED) {
      // Each failed attempt ends with one of these; the library then waits attempts × 1 s.
      this.libraryAttempts += 1;
      if (this.client?.getConnectionState() === DXLinkConnectionState.CONNECTING && this.everConnected) this.reportLibraryRetry();
    }
  };

  private reportLibraryRetry(): void {
    const attempt = Math.max(1, this.libraryAttempts);
    this.context.setState({ state: 'reconnecting', detail: this.lastProblem || 'connection lost', attempt, retryInMs: attempt * 1_000 });
  }

  /** The token was refused (or revoked): drop this connection, get a new token, connect again after backoff. */
  private refuseToken(reason: string): void {
    this.counters.authRejections += 1;
    this.options.onTokenRejected?.();
    this.disconnect();
    this.retryLater(this.authError(reason));
  }

  private disconnect(): void {
    this.disconnecting = true;
    try {
      this.client?.disconnect();
    } finally {
      this.disconnecting = false;
    }
  }

  private retryLater(error: MarketError): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.clearTimer('stableTimer');
    const backoffMs = this.backoff.next();
    // Refused credentials are not asked again before their hold is over (shared/oauth-refresh.ts).
    const retryInMs = error instanceof CredentialsRefused ? Math.max(backoffMs, error.retryInMs(this.context.clock.now())) : backoffMs;
    const attempt = this.backoff.attempt;
    this.context.log.warn(`${this.options.provider}: ${error.message} (retry ${attempt} in ${retryInMs} ms)`);
    if (error.code === 'AUTH' || error.code === 'CONFIG') {
      this.context.setState({ state: 'error', detail: error.message, attempt, retryInMs, error });
    } else {
      this.context.setState({ state: 'reconnecting', detail: error.message, attempt, retryInMs });
    }
    this.retryTimer = this.context.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, retryInMs);
  }

  private authError(reason: string): MarketError {
    return new MarketError('AUTH', `${this.options.provider} refused the streaming token (${reason}): check the credentials`, { provider: this.options.provider, reason });
  }

  private networkError(reason: string): MarketError {
    return new MarketError('NETWORK', `${this.options.provider}: ${reason}`, { provider: this.options.provider });
  }

  private applyPendingToken(): void {
    if (this.pendingToken === undefined || !this.client) return;
    this.client.setAuthToken(this.pendingToken);
    this.tokenInUse = true;
    this.pendingToken = undefined;
  }

  private onChannelState(channel: DXLinkChannel, state: DXLinkChannelState): void {
    if (this.stopped || channel !== this.channel) return;
    if (state === DXLinkChannelState.OPENED) {
      this.decoder.reset();
      const acceptEventFields: Record<string, string[]> = {};
      for (const [type, fields] of Object.entries(REQUESTED_FIELDS)) acceptEventFields[type] = [...fields];
      channel.send({ type: 'FEED_SETUP', acceptAggregationPeriod: AGGREGATION_PERIOD_S, acceptDataFormat: 'COMPACT', acceptEventFields });
      const all = [...this.held.values()].flatMap((sub) => this.dxSubscriptionsOf(sub));
      this.sendSubscriptions({ reset: true, add: all });
    } else if (state === DXLinkChannelState.CLOSED) {
      // Closed by the server: open a new one (the library re-requests only channels still open).
      this.channel = null;
      this.reopenTimer = this.context.clock.setTimeout(() => {
        this.reopenTimer = null;
        if (!this.stopped && this.client && !this.channel) this.openChannel(this.client);
      }, CHANNEL_REOPEN_MS);
    }
  }

  private onChannelMessage(channel: DXLinkChannel, message: DXLinkChannelMessage): void {
    if (this.stopped || channel !== this.channel) return;
    // The library catches what a listener throws and only logs it: report it here instead.
    try {
      if (message.type === 'FEED_CONFIG') {
        if (!this.decoder.applyConfig(message as FeedConfigMessage)) this.malformed('a FEED_CONFIG whose eventFields are not lists of field names');
      } else if (message.type === 'FEED_DATA') {
        this.counters.dataFrames += 1;
        this.handleData(message.data as unknown);
      }
    } catch (err) {
      this.context.log.debug(`${this.options.provider}: ${message.type} failed: ${err instanceof Error ? err.message : String(err)}`);
      this.malformed(`a ${message.type} message it could not read`);
    }
  }

  /**
   * A frame, a FEED message or a COMPACT pair that could not be read: counted and reported on
   * every node (their node.error is rate-limited); logged at debug level only, so bad frames cannot
   * flood the log.
   */
  private malformed(reason: string): void {
    if (this.stopped) return;
    this.counters.malformed += 1;
    this.context.log.debug(`${this.options.provider}: skipped ${reason}`);
    this.context.error(new MarketError('PROTOCOL', `${this.options.provider}: ${reason}; it was skipped`, { provider: this.options.provider }));
  }

  private handleData(data: unknown): void {
    const { records, problems } = this.decoder.decode(data);
    for (const problem of problems) this.malformed(problem);
    const receivedAt = this.context.clock.now();
    const resolve = (eventSymbol: string): SymbolRef => this.symbolRefs.get(eventSymbol) ?? defaultSymbolRef(eventSymbol);
    for (const record of records) {
      const event = normalizeDxRecord(record, { provider: this.options.provider, receivedAt, resolve });
      if (event) this.context.emit(event);
    }
  }

  private channelReady(): boolean {
    return this.channel?.getState() === DXLinkChannelState.OPENED && this.client?.getConnectionState() === DXLinkConnectionState.CONNECTED;
  }

  private sendSubscriptions(change: { reset?: boolean; add?: DxSubscription[]; remove?: DxSubscription[] }): void {
    const channel = this.channel;
    if (!channel) return;
    const entries: Array<['add' | 'remove', DxSubscription]> = [
      ...(change.remove ?? []).map((sub): ['remove', DxSubscription] => ['remove', sub]),
      ...(change.add ?? []).map((sub): ['add', DxSubscription] => ['add', sub]),
    ];
    let reset = change.reset === true;
    if (entries.length === 0 && !reset) return;
    for (let start = 0; start < entries.length || reset; start += SUBSCRIPTION_CHUNK) {
      const frame: { type: string; reset?: boolean; add?: DxSubscription[]; remove?: DxSubscription[] } = { type: 'FEED_SUBSCRIPTION' };
      if (reset) frame.reset = true;
      reset = false;
      for (const [kind, sub] of entries.slice(start, start + SUBSCRIPTION_CHUNK)) (frame[kind] ??= []).push(sub);
      channel.send(frame);
      this.counters.subscriptionFrames += 1;
    }
  }

  /** The DXLink subscriptions behind one of ours (§4; Greeks/TheoPrice exist only for options). */
  private dxSubscriptionsOf(sub: UpstreamSubscription): DxSubscription[] {
    const symbol = toDxlinkSymbol(sub.symbol);
    this.symbolRefs.set(symbol, { symbol: sub.symbol });
    switch (sub.channel) {
      case 'quote':
        return [{ type: 'Quote', symbol }];
      case 'trade':
        return [{ type: this.options.tradeEvent, symbol }];
      case 'summary':
        return [{ type: 'Summary', symbol }];
      case 'greeks':
        return parseOccSymbol(sub.symbol) ? [{ type: 'Greeks', symbol }, { type: 'TheoPrice', symbol }] : [{ type: 'Underlying', symbol }];
      case 'candle': {
        const interval = sub.interval ?? '1m';
        const candle = candleSymbol(symbol, interval);
        this.symbolRefs.set(candle, { symbol: sub.symbol, interval });
        // From the start of the previous bar: the current bar and the last closed one.
        return [{ type: 'Candle', symbol: candle, fromTime: this.context.clock.now() - 2 * intervalMs(interval) }];
      }
      case 'book':
        return [];
    }
  }

  private clearTimer(name: 'retryTimer' | 'authTimer' | 'stableTimer' | 'reopenTimer'): void {
    const handle = this[name];
    if (handle === null) return;
    this.context.clock.clearTimeout(handle);
    this[name] = null;
  }
}

/** A stream as a ProviderAdapter; `extra` adds what the room owns besides (token timers, counters). */
export function dxlinkAdapter(stream: DxlinkStream, extra: { stop?(): void; stats?(): Record<string, number> } = {}): ProviderAdapter {
  return {
    start: () => stream.start(),
    subscribe: (subs) => stream.subscribe(subs),
    unsubscribe: (subs) => stream.unsubscribe(subs),
    async stop() {
      extra.stop?.();
      await stream.stop();
    },
    stats: () => ({ ...stream.stats(), ...extra.stats?.() }),
  };
}
