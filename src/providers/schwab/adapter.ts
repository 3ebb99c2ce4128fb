/**
 * The Schwab streamer adapter (docs/protocols/schwab.md §2–§3) on a ResilientSocket: every attempt
 * gets a valid access token and the streamer URL from the user preferences, logs in (ADMIN
 * LOGIN with the bare access token) and re-sends SUBS for everything held. An established stream
 * outlives its access token (§7); the token is refreshed ahead of expiry for the next login.
 */
import type { Channel } from '../../model/events';
import { MarketError } from '../../model/errors';
import { parseOccSymbol } from '../../model/occ';
import { ResilientSocket } from '../../transport/resilient-socket';
import { MalformedFrames, readJsonObject } from '../shared/venue-socket';
import { CredentialsRefused } from '../shared/oauth-refresh';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { SCHWAB_FIELDS, SCHWAB_SERVICES, SchwabDecoder, type SchwabService } from './decode';
import type { StreamerInfo } from './rest';
import { SchwabTokens } from './auth';
import { STALE_AFTER_MS } from './limits';

export interface SchwabAdapterOptions {
  restBase: string;
  equityBook: 'NASDAQ_BOOK' | 'NYSE_BOOK';
}

interface Command {
  service: string;
  command: string;
  requestid: string;
  SchwabClientCustomerId: string;
  SchwabClientCorrelId: string;
  parameters: Record<string, string>;
}

interface ResponseItem {
  service?: string;
  command?: string;
  requestid?: string | number;
  content?: { code?: number; msg?: string };
}

/** Codes after which Schwab closes the socket (§3.1). */
const CLOSING_CODES = new Set([3, 12, 30]);

export class SchwabAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly options: SchwabAdapterOptions;
  private readonly tokens: SchwabTokens;
  private readonly socket: ResilientSocket;
  private readonly decoder = new SchwabDecoder();
  private readonly held = new Map<string, UpstreamSubscription>();
  /** service → stream key → subscription keys that need it (quote, trade and summary share one key). */
  private readonly streamKeys = new Map<SchwabService, Map<string, Set<string>>>();
  /** requestid → what it asked for, to name the symbols in a refusal. */
  private readonly requests = new Map<string, { service: string; command: string; keys: string }>();
  private streamer: StreamerInfo | null = null;
  private loginAnswer: ((item: ResponseItem) => void) | null = null;
  private nextRequestId = 1;
  private readonly counters = { logins: 0, subscriptionCommands: 0, dataFrames: 0 };
  private readonly malformedFrames: MalformedFrames;

  constructor(context: AdapterContext, options: SchwabAdapterOptions) {
    this.context = context;
    this.options = options;
    this.malformedFrames = new MalformedFrames(context, 'schwab', 'Schwab');
    const { credentials } = context.settings;
    this.tokens = new SchwabTokens({
      context,
      restBase: options.restBase,
      clientId: credentials.clientId ?? '',
      clientSecret: credentials.clientSecret ?? '',
      refreshToken: credentials.refreshToken ?? '',
      // The open stream keeps running, but the next login will fail: show it now, in red.
      onRefreshRefused: (error) => context.setState({ state: 'error', detail: error.message, error }),
    });
    this.socket = new ResilientSocket({
      label: 'schwab',
      clock: context.clock,
      log: context.log,
      staleAfterMs: STALE_AFTER_MS,
      // A refused refresh token is not asked again before its hold is over (shared/oauth-refresh.ts).
      holdAfter: (failure) => (failure instanceof CredentialsRefused ? failure.retryInMs(context.clock.now()) : undefined),
      target: async () => {
        this.streamer = await this.tokens.streamerInfo();
        return { url: context.settings.endpoint || this.streamer.streamerSocketUrl };
      },
      onOpen: () => this.login(),
      onMessage: (data, isBinary) => {
        if (isBinary) this.malformed('a binary frame where text was expected');
        else this.handleFrame(data.toString());
      },
      onState: (change) => {
        context.setState(change);
        if (change.state === 'connected') this.tokens.checkRefreshTokenExpiry();
      },
    });
  }

  start(): void {
    this.socket.start();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const added = new Map<SchwabService, string[]>();
    for (const sub of subscriptions) {
      const target = this.streamKeyOf(sub);
      if (!target) continue;
      this.held.set(sub.key, sub);
      const users = this.usersOf(target.service, target.key);
      if (users.size === 0) push(added, target.service, target.key);
      users.add(sub.key);
    }
    if (this.socket.isReady) this.sendCommands('ADD', added);
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const removed = new Map<SchwabService, string[]>();
    for (const sub of subscriptions) {
      if (!this.held.delete(sub.key)) continue;
      const target = this.streamKeyOf(sub);
      if (!target) continue;
      const users = this.usersOf(target.service, target.key);
      users.delete(sub.key);
      if (users.size === 0) {
        this.streamKeys.get(target.service)?.delete(target.key);
        push(removed, target.service, target.key);
      }
    }
    if (this.socket.isReady) this.sendCommands('UNSUBS', removed);
  }

  async stop(): Promise<void> {
    this.tokens.stop();
    this.loginAnswer = null;
    await this.socket.close();
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      malformed: this.malformedFrames.count,
      ...this.tokens.counters,
      connections: this.socket.openCount,
      activeSubscriptions: this.held.size,
      refreshTokenExpiresAt: this.tokens.refreshTokenExpiresAt,
      // 1 when the user set options.refreshTokenIssuedAt, 0 when counted from the token's first use here.
      refreshTokenIssuedAtSet: this.tokens.refreshTokenOrigin === 'options' ? 1 : 0,
    };
  }

  /** ADMIN LOGIN, then SUBS for everything held. Throws MarketError('AUTH') when Schwab says no. */
  private async login(): Promise<void> {
    const streamer = this.streamer;
    if (!streamer) throw new MarketError('PROTOCOL', 'schwab: no streamer info', { provider: 'schwab' });
    const { token } = await this.tokens.accessToken();
    this.decoder.reset();
    const answer = new Promise<ResponseItem>((resolve) => {
      this.loginAnswer = resolve;
    });
    this.socket.send(JSON.stringify({
      requests: [this.command('ADMIN', 'LOGIN', {
        Authorization: token,
        SchwabClientChannel: streamer.schwabClientChannel,
        SchwabClientFunctionId: streamer.schwabClientFunctionId,
      })],
    }));
    const item = await answer;
    this.counters.logins += 1;
    const code = item.content?.code;
    if (code !== 0) {
      const reason = `code ${String(code)}: ${item.content?.msg ?? 'no message'}`;
      if (code === 3) {
        this.tokens.forgetAccessToken();
        throw new MarketError('AUTH', `Schwab refused the streamer login (${reason}): check the app key, secret and refresh token`, { provider: 'schwab', reason });
      }
      throw new MarketError('NETWORK', `Schwab refused the streamer login (${reason})${code === 12 ? ': another program is streaming with this Schwab login (one stream per user)' : ''}`, { provider: 'schwab', reason });
    }
    const all = new Map<SchwabService, string[]>();
    for (const [service, keys] of this.streamKeys) if (keys.size > 0) all.set(service, [...keys.keys()]);
    this.sendCommands('SUBS', all);
  }

  private command(service: string, command: string, parameters: Record<string, string>): Command {
    const requestid = String(this.nextRequestId++);
    const streamer = this.streamer;
    return {
      service,
      command,
      requestid,
      SchwabClientCustomerId: streamer?.schwabClientCustomerId ?? '',
      SchwabClientCorrelId: streamer?.schwabClientCorrelId ?? '',
      parameters,
    };
  }

  private sendCommands(command: 'SUBS' | 'ADD' | 'UNSUBS', byService: Map<SchwabService, string[]>): void {
    const requests: Command[] = [];
    for (const [service, keys] of byService) {
      if (keys.length === 0) continue;
      const joined = keys.join(',');
      // UNSUBS carries only the keys (§5); SUBS and ADD name the fields.
      const parameters: Record<string, string> = command === 'UNSUBS' ? { keys: joined } : { keys: joined, fields: SCHWAB_FIELDS[service] };
      const request = this.command(service, command, parameters);
      this.requests.set(request.requestid, { service, command, keys: joined });
      requests.push(request);
    }
    if (requests.length === 0) return;
    this.counters.subscriptionCommands += requests.length;
    this.socket.send(JSON.stringify({ requests }));
  }

  private handleFrame(text: string): void {
    const read = readJsonObject(text);
    if (read.problem !== undefined) {
      this.malformed(read.problem);
      return;
    }
    const { response, data, notify } = read.frame;
    if ((response === undefined && data === undefined && notify === undefined) || [response, data, notify].some((part) => part !== undefined && !Array.isArray(part))) {
      this.malformed('a frame with no response, data or notify list');
      return;
    }
    if (Array.isArray(response)) for (const item of response as unknown[]) if (item && typeof item === 'object') this.handleResponse(item as ResponseItem);
    if (Array.isArray(data)) {
      this.counters.dataFrames += 1;
      const receivedAt = this.context.clock.now();
      const problems: string[] = [];
      for (const entry of data as unknown[]) {
        if (!entry || typeof entry !== 'object' || !(SCHWAB_SERVICES as readonly unknown[]).includes((entry as { service?: unknown }).service)) {
          problems.push('data of a service it did not subscribe to');
          continue;
        }
        for (const event of this.decoder.decode(entry as Record<string, unknown>, receivedAt, problems)) {
          if (event.type === 'book') {
            const depth = this.held.get(`book:${event.symbol}`)?.depth ?? event.depth;
            this.context.emit({ ...event, bids: event.bids.slice(0, depth), asks: event.asks.slice(0, depth), depth });
          } else {
            this.context.emit(event);
          }
        }
      }
      // One report per frame, however many of its items could not be read.
      if (problems.length > 0) this.malformed(problems[0] as string);
    }
    // notify: heartbeats only keep the watchdog fed (the socket counts every frame).
  }

  private malformed(reason: string): void {
    this.malformedFrames.report(reason);
  }


  private handleResponse(item: ResponseItem): void {
    if (item.service === 'ADMIN' && item.command === 'LOGIN') {
      this.loginAnswer?.(item);
      this.loginAnswer = null;
      return;
    }
    const requestid = item.requestid === undefined ? '' : String(item.requestid);
    const request = this.requests.get(requestid);
    this.requests.delete(requestid);
    const code = item.content?.code ?? 0;
    if (code === 0 || (code >= 26 && code <= 29)) return;
    const msg = item.content?.msg ?? 'no message';
    if (CLOSING_CODES.has(code)) {
      this.socket.fail(new MarketError('NETWORK', `Schwab closed the stream (code ${code}: ${msg})`, { provider: 'schwab', reason: msg }));
      return;
    }
    const what = request ? `${request.command} ${request.service} ${request.keys}` : `${item.command ?? 'a command'} on ${item.service ?? 'a service'}`;
    const keys = request?.keys.split(',') ?? [];
    const details = keys.length === 1 ? { provider: 'schwab', reason: msg, symbol: keys[0]! } : { provider: 'schwab', reason: msg };
    this.context.error(new MarketError('SUBSCRIPTION', `Schwab refused ${what} (code ${code}: ${msg})`, details));
  }

  /** Which service and key carry a subscription; reports and returns null when Schwab has none. */
  private streamKeyOf(sub: UpstreamSubscription): { service: SchwabService; key: string } | null {
    const option = parseOccSymbol(sub.symbol) !== null;
    const service = serviceFor(sub.channel, option, this.options.equityBook);
    if (!service) {
      const what = option ? 'options' : `${sub.symbol}, which is not an option`;
      this.context.error(new MarketError('SUBSCRIPTION', `schwab: ${sub.channel} is not streamed for ${what}; Schwab streams quote, trade, greeks, summary and book for options, and quote, trade, summary, candle (1m) and book for equities`, { provider: 'schwab', symbol: sub.symbol, channel: sub.channel }));
      return null;
    }
    return { service, key: sub.symbol };
  }

  private usersOf(service: SchwabService, key: string): Set<string> {
    let keys = this.streamKeys.get(service);
    if (!keys) {
      keys = new Map();
      this.streamKeys.set(service, keys);
    }
    let users = keys.get(key);
    if (!users) {
      users = new Set();
      keys.set(key, users);
    }
    return users;
  }
}

function serviceFor(channel: Channel, option: boolean, equityBook: SchwabService): SchwabService | null {
  switch (channel) {
    case 'quote':
    case 'trade':
    case 'summary':
      return option ? 'LEVELONE_OPTIONS' : 'LEVELONE_EQUITIES';
    case 'greeks':
      return option ? 'LEVELONE_OPTIONS' : null;
    case 'book':
      return option ? 'OPTIONS_BOOK' : equityBook;
    case 'candle':
      return option ? null : 'CHART_EQUITY';
  }
}

function push<K>(map: Map<K, string[]>, key: K, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
