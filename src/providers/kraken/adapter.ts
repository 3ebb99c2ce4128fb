/**
 * The Kraken WebSocket v2 adapter (kraken.md): one socket, one subscribe per channel (and per
 * depth or interval) with the symbols in an array, answered symbol by symbol.
 *
 * Books: snapshot then updates, each carrying a CRC-32 of the top 10 levels computed from the
 * wire text. After each message every change is applied in order, each side is cut to the
 * subscribed depth (Kraken sends no delete for a level pushed out of range), and the checksum is
 * compared; on a mismatch the book is dropped, `resyncing` reported, and the symbol's book
 * unsubscribed and subscribed again for a fresh snapshot. v2 books have no sequence number: the
 * checksum is the only integrity check, and it covers the top 10 levels only.
 */
import type { CandleEvent, QuoteEvent, TradeEvent } from '../../model/events';
import { MarketError } from '../../model/errors';
import { SyncedBook } from '../../book/synced-book';
import type { BackoffPolicy } from '../../session/backoff';
import type { TimerHandle } from '../../session/clock';
import { ResilientSocket } from '../../session/resilient-socket';
import { SendPacer } from '../../session/send-pacer';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../types';
import { KRAKEN_INTERVAL_MINUTES, krakenBookDepth, krakenUrl } from './config';
import { krakenChecksum, parseKeepingNumberText } from './wire';

export interface KrakenTuning {
  /** Heartbeats come every second when nothing else does: this long without a frame → reconnect. */
  staleAfterMs: number;
  /** Requests per second (Kraken's v2 limit is undocumented; v1 refused bursts of ~16). */
  messagesPerSecond: number;
  /** An application ping this often keeps Kraken from closing a connection it thinks idle. */
  pingIntervalMs: number;
  backoff?: Partial<BackoffPolicy>;
}

export const DEFAULT_KRAKEN_TUNING: Readonly<KrakenTuning> = Object.freeze({ staleAfterMs: 10_000, messagesPerSecond: 5, pingIntervalMs: 30_000 });

type KrakenChannel = 'ticker' | 'trade' | 'ohlc' | 'book';

/** One subscribe/unsubscribe unit: a channel plus its parameters; symbols share it. */
interface Group {
  channel: KrakenChannel;
  /** book depth or ohlc interval (minutes). */
  param?: number;
}

interface BookState {
  readonly sub: UpstreamSubscription;
  readonly view: SyncedBook;
  /** The depth subscribed at Kraken (10, 25, 100, 500, 1000). */
  depth: number;
  awaiting: boolean;
}

type Wire = Record<string, unknown>;

interface Level {
  price: string;
  qty: string;
}

const CHANNEL_OF = { quote: 'ticker', trade: 'trade', candle: 'ohlc', book: 'book' } as const;

export class KrakenAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly tuning: KrakenTuning;
  private readonly socket: ResilientSocket;
  private readonly pacer: SendPacer;
  /** `${channel}:${symbol}` (candles: `ohlc:${symbol}@${interval}`) → subscription */
  private readonly subs = new Map<string, UpstreamSubscription>();
  /** group key → symbols asked for on the current socket */
  private readonly asked = new Map<string, Set<string>>();
  private readonly books = new Map<string, BookState>();
  private readonly candles = new Map<string, CandleEvent>();
  /** req_id → the request's channel and how many per-symbol answers are still due. */
  private readonly pending = new Map<number, { group: Group; due: number }>();
  private open = false;
  private flushTimer: TimerHandle = null;
  private pingTimer: TimerHandle = null;
  private nextReqId = 1;
  private systemStatus = 'online';
  private stopped = false;
  private readonly counters = { checksumMismatches: 0, resubscribes: 0, requests: 0, malformed: 0 };

  constructor(context: AdapterContext, tuning: KrakenTuning) {
    this.context = context;
    this.tuning = tuning;
    const url = krakenUrl(context.settings);
    this.socket = new ResilientSocket({
      label: 'kraken',
      target: () => ({ url }),
      staleAfterMs: tuning.staleAfterMs,
      clock: context.clock,
      log: context.log,
      ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
      onOpen: () => this.handshake(),
      onMessage: (data) => this.onFrame(data.toString(), context.clock.now()),
      onState: (change) => {
        if (change.state !== 'connected') this.connectionGone(change.detail);
        context.setState(change);
      },
    });
    this.pacer = new SendPacer(context.clock, tuning.messagesPerSecond, (text) => this.socket.send(text));
  }

  start(): void {
    this.socket.start();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      this.subs.set(subKey(sub), sub);
      if (sub.channel === 'book' && !this.books.has(sub.symbol)) {
        this.books.set(sub.symbol, {
          sub,
          view: new SyncedBook({ provider: 'kraken', symbol: sub.symbol, keepText: true, onStatus: (state, detail) => this.context.symbolStatus({ symbol: sub.symbol, channel: 'book', state, detail }) }),
          depth: krakenBookDepth(sub.depth),
          awaiting: true,
        });
      }
    }
    this.scheduleFlush();
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      if (!this.subs.delete(subKey(sub))) continue;
      if (sub.channel === 'book') this.books.delete(sub.symbol);
      if (sub.channel === 'candle') this.candles.delete(`${sub.symbol}@${sub.interval ?? ''}`);
    }
    this.scheduleFlush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer !== null) this.context.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.stopPing();
    this.pacer.clear();
    await this.socket.close();
  }

  stats(): Record<string, number> {
    return { connections: this.socket.openCount, ...this.counters };
  }

  // ---- subscriptions ------------------------------------------------------------------------

  private handshake(): void {
    this.open = true;
    this.asked.clear();
    this.pending.clear();
    this.pacer.clear();
    this.flush();
    this.stopPing();
    this.pingTimer = this.context.clock.setInterval(() => this.send({ method: 'ping', req_id: this.nextReqId++ }), this.tuning.pingIntervalMs);
  }

  private connectionGone(detail: string): void {
    this.open = false;
    this.pacer.clear();
    this.stopPing();
    for (const state of this.books.values()) {
      state.awaiting = true;
      state.view.lose(`connection lost: ${detail}`);
    }
  }

  private stopPing(): void {
    if (this.pingTimer !== null) this.context.clock.clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.stopped) return;
    this.flushTimer = this.context.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, 0);
  }

  /** What the nodes want, as groups (channel + depth/interval) → symbols. */
  private wantedGroups(): Map<string, { group: Group; symbols: Set<string> }> {
    const groups = new Map<string, { group: Group; symbols: Set<string> }>();
    for (const sub of this.subs.values()) {
      const group = this.groupOf(sub);
      const key = groupKey(group);
      let entry = groups.get(key);
      if (!entry) {
        entry = { group, symbols: new Set() };
        groups.set(key, entry);
      }
      entry.symbols.add(sub.symbol);
    }
    return groups;
  }

  private groupOf(sub: UpstreamSubscription): Group {
    const channel = CHANNEL_OF[sub.channel as keyof typeof CHANNEL_OF];
    if (channel === 'book') return { channel, param: this.books.get(sub.symbol)?.depth ?? krakenBookDepth(sub.depth) };
    if (channel === 'ohlc') return { channel, param: KRAKEN_INTERVAL_MINUTES[sub.interval ?? '1m'] ?? 1 };
    return { channel };
  }

  /** One unsubscribe and one subscribe per group for what changed since the last flush. */
  private flush(): void {
    if (!this.open) return;
    const wanted = this.wantedGroups();
    for (const [key, symbols] of this.asked) {
      const still = wanted.get(key)?.symbols;
      const removed = [...symbols].filter((symbol) => !still?.has(symbol));
      if (removed.length > 0) this.request('unsubscribe', parseGroupKey(key), removed);
    }
    for (const [key, { group, symbols }] of wanted) {
      const asked = this.asked.get(key);
      const added = [...symbols].filter((symbol) => !asked?.has(symbol));
      if (added.length > 0) this.request('subscribe', group, added);
    }
  }

  private request(method: 'subscribe' | 'unsubscribe', group: Group, symbols: string[]): void {
    const key = groupKey(group);
    let asked = this.asked.get(key);
    if (!asked) {
      asked = new Set();
      this.asked.set(key, asked);
    }
    for (const symbol of symbols) {
      if (method === 'subscribe') asked.add(symbol);
      else asked.delete(symbol);
    }
    if (asked.size === 0) this.asked.delete(key);
    const params: Record<string, unknown> = { channel: group.channel, symbol: symbols };
    if (group.channel === 'book') params.depth = group.param;
    if (group.channel === 'ohlc') params.interval = group.param;
    if (group.channel === 'ticker') params.event_trigger = 'bbo'; // a quote for every change of the best bid or ask
    this.counters.requests += 1;
    const reqId = this.nextReqId++;
    if (method === 'subscribe') this.pending.set(reqId, { group, due: symbols.length });
    this.send({ method, params, req_id: reqId });
  }

  private send(message: Record<string, unknown>): void {
    this.pacer.push(JSON.stringify(message));
  }

  /** A book's checksum failed (or its depth must grow): ask Kraken for a fresh snapshot. */
  private resubscribeBook(state: BookState, detail: string): void {
    this.counters.resubscribes += 1;
    state.awaiting = true;
    state.view.lose(detail);
    const symbol = state.sub.symbol;
    const oldGroup: Group = { channel: 'book', param: state.depth };
    if (this.asked.get(groupKey(oldGroup))?.has(symbol)) this.request('unsubscribe', oldGroup, [symbol]);
    state.depth = krakenBookDepth(state.sub.depth);
    if (this.open) this.request('subscribe', { channel: 'book', param: state.depth }, [symbol]);
  }

  // ---- frames -------------------------------------------------------------------------------

  private onFrame(text: string, receivedAt: number): void {
    let frame: Wire;
    try {
      frame = parseKeepingNumberText(text) as Wire;
    } catch {
      this.malformed('a frame that is not JSON');
      return;
    }
    if (frame === null || typeof frame !== 'object') {
      this.malformed('a frame that is not a JSON object');
      return;
    }
    if (typeof frame.method === 'string') {
      this.answer(frame);
      return;
    }
    const data = Array.isArray(frame.data) ? (frame.data as Wire[]) : [];
    switch (frame.channel) {
      case 'book':
        for (const entry of data) this.book(entry, frame.type === 'snapshot', receivedAt);
        return;
      case 'ticker':
        for (const entry of data) this.ticker(entry, receivedAt);
        return;
      case 'trade':
        for (const entry of data) this.trade(entry, receivedAt);
        return;
      case 'ohlc':
        this.ohlc(data, frame.type === 'snapshot', (typeof frame.timestamp === 'string' && Date.parse(frame.timestamp)) || receivedAt, receivedAt);
        return;
      case 'status':
        this.status(data[0]);
        return;
      case 'heartbeat':
        return;
      default:
        this.malformed(`a frame on an unknown channel (${String(frame.channel)})`);
    }
  }

  /** subscribe/unsubscribe/pong answers; refusals reach the symbol's nodes in Kraken's words. */
  private answer(frame: Wire): void {
    const reqId = Number(frame.req_id);
    const request = this.pending.get(reqId);
    if (request && --request.due <= 0) this.pending.delete(reqId);
    if (frame.success === true || frame.method === 'pong') return;
    const words = typeof frame.error === 'string' ? frame.error : 'request refused';
    if (frame.method === 'unsubscribe') {
      this.context.log.debug(`kraken: unsubscribe refused: ${words}`);
      return;
    }
    const result = (frame.result ?? {}) as Wire;
    const symbol = typeof frame.symbol === 'string' ? frame.symbol : typeof result.symbol === 'string' ? result.symbol : undefined;
    // The refusal names the symbol but not the channel: the req_id tells which request it answers.
    const refused = [...this.subs.values()].filter((sub) => sub.symbol === symbol && (!request || CHANNEL_OF[sub.channel as keyof typeof CHANNEL_OF] === request.group.channel));
    if (!symbol || refused.length === 0) {
      if (!symbol) this.context.error(new MarketError('SUBSCRIPTION', `Kraken refused a request: "${words}"`, { provider: 'kraken', reason: words }));
      return;
    }
    for (const sub of refused) {
      this.asked.get(groupKey(this.groupOf(sub)))?.delete(sub.symbol);
      this.subs.delete(subKey(sub));
      if (sub.channel === 'book') this.books.delete(sub.symbol);
    }
    const hint = /^(XBT|XDG)\//.test(symbol) ? '; v2 names use ISO codes, e.g. BTC/USD, DOGE/USD' : '; check the pair, e.g. BTC/USD';
    const detail: { provider: string; symbol: string; reason: string; channel?: UpstreamSubscription['channel'] } = { provider: 'kraken', symbol, reason: words };
    if (refused.length === 1) detail.channel = (refused[0] as UpstreamSubscription).channel;
    this.context.error(new MarketError('SUBSCRIPTION', `Kraken refused ${symbol}: "${words}"${hint}`, detail));
  }

  private status(entry: Wire | undefined): void {
    const system = typeof entry?.system === 'string' ? entry.system : undefined;
    if (!system || system === this.systemStatus) return;
    this.systemStatus = system;
    if (system !== 'online') this.context.notice({ level: 'warning', code: 'KRAKEN_SYSTEM_STATUS', detail: `Kraken reports its system as "${system}": market data may pause` });
    else this.context.notice({ level: 'info', code: 'KRAKEN_SYSTEM_STATUS', detail: 'Kraken reports its system as "online" again' });
  }

  private book(entry: Wire, snapshot: boolean, receivedAt: number): void {
    const symbol = entry.symbol as string;
    const state = this.books.get(symbol);
    if (!state) return;
    if (!snapshot && state.awaiting) return; // from before the snapshot we asked for
    const book = state.view.book;
    if (snapshot) book.clear();
    for (const level of (entry.bids ?? []) as Level[]) book.bids.setText(level.price, level.qty);
    for (const level of (entry.asks ?? []) as Level[]) book.asks.setText(level.price, level.qty);
    book.bids.truncate(state.depth);
    book.asks.truncate(state.depth);
    const expected = Number(entry.checksum);
    const actual = krakenChecksum(book.asks, book.bids);
    if (actual !== expected) {
      this.counters.checksumMismatches += 1;
      this.resubscribeBook(state, `checksum mismatch: Kraken says ${expected}, the book gives ${actual}`);
      return;
    }
    if (snapshot) {
      state.awaiting = false;
      if (!state.view.markSynced('snapshot checksum verified')) {
        this.resubscribeBook(state, 'crossed snapshot');
        return;
      }
    }
    if (krakenBookDepth(state.sub.depth) > state.depth) {
      this.resubscribeBook(state, `a node asked for ${state.sub.depth} levels`);
      return;
    }
    const ts = (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt;
    const event = state.view.toEvent(state.sub.depth, ts, receivedAt);
    if (event) this.context.emit(event);
    else this.resubscribeBook(state, 'crossed book');
  }

  private ticker(entry: Wire, receivedAt: number): void {
    const symbol = entry.symbol as string;
    if (!this.subs.has(`quote:${symbol}`)) return;
    const bidSize = numberOrNull(entry.bid_qty);
    const askSize = numberOrNull(entry.ask_qty);
    const hasBid = bidSize !== null && bidSize > 0 && numberOrNull(entry.bid) !== null;
    const hasAsk = askSize !== null && askSize > 0 && numberOrNull(entry.ask) !== null;
    const quote: QuoteEvent = {
      type: 'quote',
      provider: 'kraken',
      symbol,
      ts: (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt,
      receivedAt,
      bid: hasBid ? Number(entry.bid) : null,
      bidSize: hasBid ? bidSize : null,
      ask: hasAsk ? Number(entry.ask) : null,
      askSize: hasAsk ? askSize : null,
    };
    this.context.emit(quote);
  }

  private trade(entry: Wire, receivedAt: number): void {
    const symbol = entry.symbol as string;
    if (!this.subs.has(`trade:${symbol}`)) return;
    const price = numberOrNull(entry.price);
    const size = numberOrNull(entry.qty);
    if (price === null || size === null) {
      this.malformed(`a trade of ${symbol} without a usable price or qty`);
      return;
    }
    const trade: TradeEvent = {
      type: 'trade',
      provider: 'kraken',
      symbol,
      ts: (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt,
      receivedAt,
      price,
      size,
    };
    if (entry.side === 'buy' || entry.side === 'sell') trade.side = entry.side; // the taker's side (kraken.md §5)
    if (entry.trade_id !== undefined) trade.id = String(entry.trade_id);
    this.context.emit(trade);
  }

  /**
   * ohlc has no closed flag: a candle is final once one with a later interval_begin arrives,
   * and is then sent once more with closed: true. A snapshot's history is skipped: only its
   * newest candle is sent.
   */
  private ohlc(entries: Wire[], snapshot: boolean, ts: number, receivedAt: number): void {
    const chosen = snapshot ? newestPerSymbol(entries) : entries;
    for (const entry of chosen) {
      const minutes = Number(entry.interval);
      const interval = Object.keys(KRAKEN_INTERVAL_MINUTES).find((name) => KRAKEN_INTERVAL_MINUTES[name] === minutes);
      const symbol = entry.symbol as string;
      if (!interval || !this.subs.has(`candle:${symbol}@${interval}`)) continue;
      const start = Date.parse(entry.interval_begin as string);
      if (!Number.isFinite(start)) {
        this.malformed(`an ohlc entry of ${symbol} without interval_begin`);
        continue;
      }
      const key = `${symbol}@${interval}`;
      const current = this.candles.get(key);
      if (current && start < current.start) continue;
      if (current && start > current.start) this.context.emit({ ...current, closed: true, ts, receivedAt });
      const candle: CandleEvent = {
        type: 'candle',
        provider: 'kraken',
        symbol,
        ts, // the message's time (the entry's own `timestamp` is the bucket's end, deprecated)
        receivedAt,
        interval,
        start,
        end: start + minutes * 60_000,
        open: Number(entry.open),
        high: Number(entry.high),
        low: Number(entry.low),
        close: Number(entry.close),
        volume: numberOrNull(entry.volume),
        closed: false,
      };
      this.candles.set(key, candle);
      this.context.emit(candle);
    }
  }

  private malformed(reason: string): void {
    this.counters.malformed += 1;
    this.context.log.warn(`kraken: skipped ${reason}`);
    this.context.error(new MarketError('PROTOCOL', `Kraken sent ${reason}; it was skipped`, { provider: 'kraken' }));
  }
}

function subKey(sub: UpstreamSubscription): string {
  return sub.channel === 'candle' ? `candle:${sub.symbol}@${sub.interval ?? ''}` : `${sub.channel}:${sub.symbol}`;
}

function groupKey(group: Group): string {
  return group.param === undefined ? group.channel : `${group.channel}:${group.param}`;
}

function parseGroupKey(key: string): Group {
  const [channel, param] = key.split(':');
  return param === undefined ? { channel: channel as KrakenChannel } : { channel: channel as KrakenChannel, param: Number(param) };
}

function newestPerSymbol(entries: Wire[]): Wire[] {
  const newest = new Map<string, Wire>();
  for (const entry of entries) {
    const seen = newest.get(entry.symbol as string);
    if (!seen || Date.parse(entry.interval_begin as string) > Date.parse(seen.interval_begin as string)) newest.set(entry.symbol as string, entry);
  }
  return [...newest.values()];
}

function numberOrNull(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
