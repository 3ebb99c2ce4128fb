/**
 * One DXLink connection with one FEED channel, shared by the tastytrade and dxfeed adapters
 * (docs/protocols/dxlink-tastytrade.md §3, §6), on our ResilientSocket: one reconnect loop, one
 * parse per frame. Per connection: SETUP and AUTH, wait for AUTHORIZED, request the FEED channel,
 * then FEED_SETUP and every subscription (`reset: true`). The server's announced keepaliveTimeout
 * is the stale window; we send KEEPALIVE when we have been quiet. A refused token is an AUTH error:
 * the token is forgotten, a fresh one is fetched and the connection retried after backoff.
 *
 * Wire timing (keepalive, stale window, reconnects of a socket) runs on real time, as the
 * server's does; fetching URL and token before the first connection runs on the session clock,
 * like every other token request.
 */
import type WebSocket from 'ws';
import { parseOccSymbol } from '../../../model/occ';
import { MarketError, redactUrl } from '../../../model/errors';
import { Backoff } from '../../../transport/backoff';
import { systemClock } from '../../../transport/clock';
import { CredentialsRefused } from '../oauth-refresh';
import type { TimerHandle } from '../../../model/clock';
import type { ConnectionChange } from '../../../model/connection';
import { ResilientSocket, asMarketError, failureLine } from '../../../transport/resilient-socket';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../../model/provider';
import { FeedDataDecoder, REQUESTED_FIELDS, type FeedConfigMessage } from './feed-data';
import { defaultSymbolRef, normalizeDxRecord, parseDxlinkFrame, type DxlinkMessage, type SymbolRef } from './decode';
import { candleSymbol, intervalMs, toDxlinkSymbol } from './symbols';
import { type DxlinkTuning, AGGREGATION_PERIOD_S, AUTH_ANSWER_MS, CHANNEL_REOPEN_MS, KEEPALIVE_SEND_MS, OUR_KEEPALIVE_TIMEOUT_S, SUBSCRIPTION_CHUNK } from './limits';

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
  /** URL and token, asked before every connection attempt (a cached token comes back at once). */
  access(): Promise<DxlinkAccess>;
  /** The server refused the token: forget it so that access() fetches a new one. */
  onTokenRejected?(): void;
  tradeEvent: TradeEventType;
  tuning?: DxlinkTuning;
}

interface DxSubscription {
  type: string;
  symbol: string;
  fromTime?: number;
}

/** What one connection has seen of the handshake (§3.1). */
interface Handshake {
  token: string | undefined;
  serverSetup: boolean;
  authorized: boolean;
  authStates: number;
  /** The last ERROR the server sent on this connection ("TYPE: message"), or ''. */
  problem: string;
  settle: { resolve(): void; reject(error: MarketError): void } | null;
}

export class DxlinkStream {
  private readonly options: DxlinkStreamOptions;
  private readonly context: AdapterContext;
  private readonly provider: string;
  /** Retries of the first access() (the session clock; a socket retries on its own). */
  private readonly accessBackoff = new Backoff();
  private readonly decoder = new FeedDataDecoder();
  private readonly held = new Map<string, UpstreamSubscription>();
  /** DXLink symbol (streamer or candle symbol) → our symbol and interval. */
  private readonly symbolRefs = new Map<string, SymbolRef>();
  private socket: ResilientSocket | null = null;
  /** The access the first connection was opened with; later ones ask access() again. */
  private firstAccess: DxlinkAccess | null = null;
  private url = '';
  private handshake: Handshake | null = null;
  /** The server's keepaliveTimeout (SETUP), our stale window. */
  private staleAfterMs = OUR_KEEPALIVE_TIMEOUT_S * 1000;
  /** The FEED channel id on this connection, once requested; odd numbers (§3.2). */
  private channel: number | null = null;
  private channelOpen = false;
  private nextChannelId = 1;
  /** Connections in a row cut without a word after AUTH went out (§3.1 auth vs network). */
  private silentAuthCloses = 0;
  private lastSentAt = 0;
  private stopped = true;
  private accessTimer: TimerHandle = null;
  private authTimer: TimerHandle = null;
  private keepaliveTimer: TimerHandle = null;
  private reopenTimer: TimerHandle = null;
  private readonly counters = { connections: 0, authRejections: 0, subscriptionFrames: 0, dataFrames: 0, malformed: 0 };

  constructor(options: DxlinkStreamOptions) {
    this.options = options;
    this.context = options.context;
    this.provider = options.provider;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.context.setState({ state: 'connecting', detail: 'connecting' });
    void this.fetchFirstAccess();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const added: DxSubscription[] = [];
    for (const sub of subscriptions) {
      this.held.set(sub.key, sub);
      added.push(...this.dxSubscriptionsOf(sub));
    }
    if (this.channelOpen) this.sendSubscriptions({ add: added });
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const removed: DxSubscription[] = [];
    for (const sub of subscriptions) {
      if (!this.held.delete(sub.key)) continue;
      removed.push(...this.dxSubscriptionsOf(sub).map(({ type, symbol }) => ({ type, symbol })));
    }
    if (this.channelOpen) this.sendSubscriptions({ remove: removed });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.context.clock.clearTimeout(this.accessTimer);
    this.accessTimer = null;
    this.endConnection();
    const socket = this.socket;
    this.socket = null;
    // No CHANNEL_CANCEL: closing the connection ends the channel.
    if (socket) await socket.close();
    this.context.setState({ state: 'closed', detail: 'closed' });
  }

  stats(): Record<string, number> {
    return { ...this.counters, activeSubscriptions: this.held.size };
  }

  /** URL and token for the first connection, retried on the session clock until there is one. */
  private async fetchFirstAccess(): Promise<void> {
    let access: DxlinkAccess;
    try {
      access = await this.options.access();
    } catch (err) {
      this.retryFirstAccess(asMarketError(err, this.provider));
      return;
    }
    if (this.stopped) return;
    this.firstAccess = access;
    this.socket = this.createSocket();
    this.socket.start();
  }

  private retryFirstAccess(error: MarketError): void {
    if (this.stopped) return;
    const backoffMs = this.accessBackoff.next();
    // Refused credentials are not asked again before their hold is over (shared/oauth-refresh.ts).
    const retryInMs = error instanceof CredentialsRefused ? Math.max(backoffMs, error.retryInMs(this.context.clock.now())) : backoffMs;
    const attempt = this.accessBackoff.attempt;
    this.context.log.warn(failureLine(this.provider, error.message, retryInMs, attempt));
    if (error.code === 'AUTH' || error.code === 'CONFIG') {
      this.context.setState({ state: 'error', detail: error.message, attempt, retryInMs, error });
    } else {
      this.context.setState({ state: 'reconnecting', detail: error.message, attempt, retryInMs });
    }
    this.accessTimer = this.context.clock.setTimeout(() => {
      this.accessTimer = null;
      void this.fetchFirstAccess();
    }, retryInMs);
  }

  private createSocket(): ResilientSocket {
    const stream = this;
    return new ResilientSocket({
      label: this.provider,
      clock: systemClock,
      log: this.context.log,
      ...(this.options.tuning?.backoff ? { backoff: this.options.tuning.backoff } : {}),
      // Read at every open and by the watchdog: the window the server announced in SETUP.
      get staleAfterMs() {
        return stream.staleAfterMs;
      },
      // Longer than the handshake window, so that the handshake's own timer reports the silence.
      connectTimeoutMs: this.handshakeMs() + 5_000,
      holdAfter: (failure) => (failure instanceof CredentialsRefused ? failure.retryInMs(this.context.clock.now()) : undefined),
      target: async () => {
        const access = this.firstAccess ?? (await this.options.access());
        this.firstAccess = null;
        this.url = access.url;
        this.handshake = { token: access.token, serverSetup: false, authorized: false, authStates: 0, problem: '', settle: null };
        this.counters.connections += 1;
        return { url: access.url };
      },
      onOpen: () => this.openHandshake(),
      onMessage: (data, isBinary) => this.onFrame(data, isBinary),
      onClose: (info) => this.onClose(info),
      onState: (change) => this.onSocketState(change),
    });
  }

  /** SETUP and AUTH at once (the server accepts AUTH before its own SETUP); resolves once authorized. */
  private openHandshake(): Promise<void> {
    const handshake = this.handshake;
    if (!handshake) return Promise.reject(new MarketError('NETWORK', `${this.provider}: connection without a handshake`, { provider: this.provider }));
    this.lastSentAt = systemClock.now();
    this.send({ type: 'SETUP', channel: 0, version: '0.1-market-stream', keepaliveTimeout: OUR_KEEPALIVE_TIMEOUT_S, acceptKeepaliveTimeout: OUR_KEEPALIVE_TIMEOUT_S });
    if (handshake.token !== undefined) this.send({ type: 'AUTH', channel: 0, token: handshake.token });
    return new Promise<void>((resolve, reject) => {
      handshake.settle = { resolve, reject };
      const windowS = this.handshakeMs() / 1000;
      this.authTimer = systemClock.setTimeout(() => {
        this.authTimer = null;
        // A server that sent SETUP but never answered AUTH is refusing the token; one that sent
        // nothing at all is not working (a hung server or proxy): a network failure, retried.
        if (handshake.token !== undefined && handshake.serverSetup) this.settleHandshake(this.authError(`no AUTH_STATE answer within ${windowS} s`));
        else this.settleHandshake(this.networkError(`the server accepted the connection but sent no SETUP within ${windowS} s`));
      }, this.handshakeMs());
    });
  }

  private handshakeMs(): number {
    return this.options.tuning?.handshakeMs ?? AUTH_ANSWER_MS;
  }

  private settleHandshake(error?: MarketError): void {
    const handshake = this.handshake;
    if (!handshake?.settle) return;
    const { resolve, reject } = handshake.settle;
    handshake.settle = null;
    systemClock.clearTimeout(this.authTimer);
    this.authTimer = null;
    if (!error) {
      resolve();
      return;
    }
    if (error.code === 'AUTH') this.tokenRefused();
    reject(error);
  }

  private tokenRefused(): void {
    this.counters.authRejections += 1;
    this.options.onTokenRejected?.();
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.stopped) return;
    const parsed = parseDxlinkFrame(data, isBinary);
    if ('problem' in parsed) {
      this.malformed(parsed.problem);
      return;
    }
    const message = parsed.message;
    if (message.channel === 0) this.onConnectionMessage(message);
    else if (message.channel === this.channel) this.onChannelMessage(message);
  }

  private onConnectionMessage(message: DxlinkMessage): void {
    const handshake = this.handshake;
    if (!handshake) return;
    switch (message.type) {
      case 'SETUP':
        if (typeof message.keepaliveTimeout === 'number') this.staleAfterMs = message.keepaliveTimeout * 1000;
        handshake.serverSetup = true;
        if (handshake.authorized) this.settleHandshake();
        return;
      case 'AUTH_STATE':
        this.onAuthState(handshake, message.state === 'AUTHORIZED');
        return;
      case 'ERROR':
        handshake.problem = `${String(message.error)}: ${String(message.message)}`;
        this.context.log.info(`${this.provider}: ${handshake.problem}`);
        return;
      default:
        return; // KEEPALIVE: the frame itself kept the watchdog quiet.
    }
  }

  /**
   * The first AUTH_STATE is a notice (UNAUTHORIZED = auth required, §3.1); another UNAUTHORIZED,
   * or one after AUTHORIZED, means the token was refused or revoked.
   */
  private onAuthState(handshake: Handshake, authorized: boolean): void {
    handshake.authStates += 1;
    if (authorized) {
      handshake.authorized = true;
      if (handshake.serverSetup) this.settleHandshake();
      return;
    }
    const reason = handshake.problem.startsWith('UNAUTHORIZED') ? handshake.problem : 'AUTH_STATE UNAUTHORIZED';
    if (handshake.authorized && handshake.settle === null) {
      // Revoked on a live connection: reconnect with a fresh token.
      handshake.authorized = false;
      this.tokenRefused();
      this.socket?.fail(this.authError(reason));
    } else if (handshake.token === undefined) {
      this.settleHandshake(this.authError('the server needs a token; set one in the provider config'));
    } else if (handshake.authStates >= 2) {
      this.settleHandshake(this.authError(reason));
    }
  }

  /** A close we did not ask for: after AUTH and before an answer, it may be the server refusing the token. */
  private onClose(info: { code: number; reason: string; wasReady: boolean; failure: MarketError | null }): MarketError | undefined {
    const handshake = this.handshake;
    this.endConnection();
    if (!handshake) return undefined;
    const settling = handshake.settle !== null;
    handshake.settle = null;
    systemClock.clearTimeout(this.authTimer);
    this.authTimer = null;
    if (info.wasReady) {
      this.silentAuthCloses = 0;
      return undefined;
    }
    if (!settling) {
      // Never opened: the socket's failure already names the URL and the cause (refused, unknown host, HTTP status).
      return info.failure ?? this.networkError(`Unable to connect to ${redactUrl(this.url)}: closed with code ${info.code}`);
    }
    const unanswered = handshake.token !== undefined && !handshake.authorized;
    // A socket cut without a word after AUTH went out is what a network drop looks like, and also
    // a server that closes on a bad token without saying so: once counts as the network, twice in a row as a refusal.
    const words = info.reason || handshake.problem;
    this.silentAuthCloses = unanswered && !words ? this.silentAuthCloses + 1 : 0;
    if (unanswered && (words || this.silentAuthCloses >= 2)) {
      this.tokenRefused();
      return this.authError(words ? handshake.problem || info.reason : 'the server closed the connection before authorizing');
    }
    return this.networkError(words ? words : 'connection closed');
  }

  private onSocketState(change: ConnectionChange): void {
    if (this.stopped) return;
    switch (change.state) {
      case 'connecting':
      case 'closed':
        return; // start() and stop() say these once.
      case 'connected':
        this.silentAuthCloses = 0;
        this.context.setState(change);
        this.startConnection();
        return;
      case 'stale':
        this.endConnection();
        this.context.setState({ ...change, detail: `no data within the keepalive timeout the server announced (${this.staleAfterMs / 1000} s)` });
        return;
      default:
        this.endConnection();
        this.context.setState(change);
    }
  }

  /** Authorized: keep the server hearing from us, and open the FEED channel. */
  private startConnection(): void {
    this.keepaliveTimer = systemClock.setInterval(() => {
      if (systemClock.now() - this.lastSentAt >= KEEPALIVE_SEND_MS) this.send({ type: 'KEEPALIVE', channel: 0 });
    }, KEEPALIVE_SEND_MS / 3);
    this.nextChannelId = 1;
    this.requestChannel();
  }

  private endConnection(): void {
    systemClock.clearInterval(this.keepaliveTimer);
    systemClock.clearTimeout(this.reopenTimer);
    this.keepaliveTimer = null;
    this.reopenTimer = null;
    this.channel = null;
    this.channelOpen = false;
  }

  private requestChannel(): void {
    this.channel = this.nextChannelId;
    this.nextChannelId += 2;
    this.channelOpen = false;
    this.send({ type: 'CHANNEL_REQUEST', channel: this.channel, service: 'FEED', parameters: { contract: 'AUTO' } });
  }

  private onChannelMessage(message: DxlinkMessage): void {
    try {
      switch (message.type) {
        case 'CHANNEL_OPENED':
          this.onChannelOpened();
          return;
        case 'CHANNEL_CLOSED':
          // Closed by the server: ask for a new one after a pause.
          this.channel = null;
          this.channelOpen = false;
          this.reopenTimer = systemClock.setTimeout(() => {
            this.reopenTimer = null;
            if (!this.stopped && this.socket?.isReady && this.channel === null) this.requestChannel();
          }, CHANNEL_REOPEN_MS);
          return;
        case 'ERROR':
          this.context.log.warn(`${this.provider}: FEED channel error ${String(message.error)}: ${String(message.message)}`);
          return;
        case 'FEED_CONFIG':
          if (!this.decoder.applyConfig(message as unknown as FeedConfigMessage)) this.malformed('a FEED_CONFIG whose eventFields are not lists of field names');
          return;
        case 'FEED_DATA':
          this.counters.dataFrames += 1;
          this.handleData(message.data);
          return;
      }
    } catch (err) {
      this.context.log.debug(`${this.provider}: ${message.type} failed: ${err instanceof Error ? err.message : String(err)}`);
      this.malformed(`a ${message.type} message it could not read`);
    }
  }

  private onChannelOpened(): void {
    if (this.channel === null) return;
    this.channelOpen = true;
    this.decoder.reset();
    const acceptEventFields: Record<string, string[]> = {};
    for (const [type, fields] of Object.entries(REQUESTED_FIELDS)) acceptEventFields[type] = [...fields];
    this.send({ type: 'FEED_SETUP', channel: this.channel, acceptAggregationPeriod: AGGREGATION_PERIOD_S, acceptDataFormat: 'COMPACT', acceptEventFields });
    const all = [...this.held.values()].flatMap((sub) => this.dxSubscriptionsOf(sub));
    this.sendSubscriptions({ reset: true, add: all });
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.send(JSON.stringify(message))) this.lastSentAt = systemClock.now();
  }

  private authError(reason: string): MarketError {
    return new MarketError('AUTH', `${this.provider} refused the streaming token (${reason}): check the credentials`, { provider: this.provider, reason });
  }

  private networkError(reason: string): MarketError {
    return new MarketError('NETWORK', `${this.provider}: ${reason}`, { provider: this.provider });
  }

  /**
   * A frame, a FEED message or a COMPACT pair that could not be read: counted and reported on
   * every node (their node.error is rate-limited); logged at debug level only, so bad frames cannot
   * flood the log.
   */
  private malformed(reason: string): void {
    if (this.stopped) return;
    this.counters.malformed += 1;
    this.context.log.debug(`${this.provider}: skipped ${reason}`);
    this.context.error(new MarketError('PROTOCOL', `${this.provider}: ${reason}; it was skipped`, { provider: this.provider }));
  }

  private handleData(data: unknown): void {
    const { records, problems } = this.decoder.decode(data);
    for (const problem of problems) this.malformed(problem);
    const receivedAt = this.context.clock.now();
    const resolve = (eventSymbol: string): SymbolRef => this.symbolRefs.get(eventSymbol) ?? defaultSymbolRef(eventSymbol);
    for (const record of records) {
      const event = normalizeDxRecord(record, { provider: this.provider, receivedAt, resolve });
      if (event) this.context.emit(event);
    }
  }

  private sendSubscriptions(change: { reset?: boolean; add?: DxSubscription[]; remove?: DxSubscription[] }): void {
    const channel = this.channel;
    if (channel === null) return;
    const entries: Array<['add' | 'remove', DxSubscription]> = [
      ...(change.remove ?? []).map((sub): ['remove', DxSubscription] => ['remove', sub]),
      ...(change.add ?? []).map((sub): ['add', DxSubscription] => ['add', sub]),
    ];
    let reset = change.reset === true;
    if (entries.length === 0 && !reset) return;
    for (let start = 0; start < entries.length || reset; start += SUBSCRIPTION_CHUNK) {
      const frame: { type: string; channel: number; reset?: boolean; add?: DxSubscription[]; remove?: DxSubscription[] } = { type: 'FEED_SUBSCRIPTION', channel };
      if (reset) frame.reset = true;
      reset = false;
      for (const [kind, sub] of entries.slice(start, start + SUBSCRIPTION_CHUNK)) (frame[kind] ??= []).push(sub);
      this.send(frame);
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
