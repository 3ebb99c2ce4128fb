/**
 * The Kraken WebSocket v2 adapter (docs/protocols/kraken.md): one socket, one subscribe per channel (and per
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
import type { TimerHandle } from '../../model/clock';
import { VenueSocket } from '../shared/venue-socket';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { KRAKEN_INTERVAL_MINUTES, krakenBookDepth, krakenUrl } from './settings';
import type { KrakenTuning } from './limits';
import { KNOWN_CHANNELS, isTradeId, krakenChecksum, levelsReadable, newestPerSymbol, ohlcReadable, parseKeepingNumberText, type Level, type Wire } from './decode';
import { decimalOrNull, quoteSides } from '../shared/wire-values';

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
  snapshotTimer: TimerHandle;
}

const KRAKEN_CHANNEL_OF_OURS = { quote: 'ticker', trade: 'trade', candle: 'ohlc', book: 'book' } as const;

export class KrakenAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly tuning: KrakenTuning;
  private readonly venue: VenueSocket;
  /** `${channel}:${symbol}` (candles: `ohlc:${symbol}@${interval}`) → subscription */
  private readonly subs = new Map<string, UpstreamSubscription>();
  /** group key → symbols asked for on the current socket */
  private readonly asked = new Map<string, Set<string>>();
  private readonly books = new Map<string, BookState>();
  private readonly candles = new Map<string, CandleEvent>();
  /** req_id → the request's channel and how many per-symbol answers are still due. */
  private readonly pending = new Map<number, { group: Group; due: number }>();
  private open = false;
  private pingTimer: TimerHandle = null;
  private nextReqId = 1;
  private systemStatus = 'online';
  private readonly counters = { checksumMismatches: 0, resubscribes: 0, requests: 0 };

  constructor(context: AdapterContext, tuning: KrakenTuning) {
    this.context = context;
    this.tuning = tuning;
    this.venue = new VenueSocket({
      provider: 'kraken',
      venue: 'Kraken',
      url: krakenUrl(context.settings),
      context,
      staleAfterMs: tuning.staleAfterMs,
      messagesPerSecond: tuning.messagesPerSecond,
      ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
      parse: parseKeepingNumberText,
      onOpen: () => this.handshake(),
      onFrame: (frame, receivedAt) => this.onFrame(frame as Wire, receivedAt),
      onLost: (detail) => this.connectionGone(detail),
      onFlush: () => this.flush(),
    });
  }

  start(): void {
    this.venue.start();
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
          snapshotTimer: null,
        });
      }
    }
    this.venue.scheduleFlush();
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      if (!this.subs.delete(subKey(sub))) continue;
      if (sub.channel === 'book') this.dropBook(sub.symbol);
      if (sub.channel === 'candle') this.candles.delete(`${sub.symbol}@${sub.interval ?? ''}`);
    }
    this.venue.scheduleFlush();
  }

  async stop(): Promise<void> {
    this.stopPing();
    for (const state of this.books.values()) this.clearSnapshotTimer(state);
    await this.venue.close();
  }

  stats(): Record<string, number> {
    return { connections: this.venue.openCount, ...this.counters, malformed: this.venue.malformed.count };
  }

  // ---- subscriptions ------------------------------------------------------------------------

  private handshake(): void {
    this.open = true;
    this.asked.clear();
    this.pending.clear();
    this.venue.clearQueue();
    this.flush();
    this.stopPing();
    this.pingTimer = this.context.clock.setInterval(() => this.send({ method: 'ping', req_id: this.nextReqId++ }), this.tuning.pingIntervalMs);
  }

  private connectionGone(detail: string): void {
    this.open = false;
    this.venue.clearQueue();
    this.stopPing();
    for (const state of this.books.values()) {
      state.awaiting = true;
      this.clearSnapshotTimer(state);
      state.view.lose(`connection lost: ${detail}`);
    }
  }

  private stopPing(): void {
    if (this.pingTimer !== null) this.context.clock.clearInterval(this.pingTimer);
    this.pingTimer = null;
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
    const channel = KRAKEN_CHANNEL_OF_OURS[sub.channel as keyof typeof KRAKEN_CHANNEL_OF_OURS];
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
    if (method === 'subscribe' && group.channel === 'book') {
      for (const symbol of symbols) {
        const state = this.books.get(symbol);
        if (state) this.armSnapshotTimer(state);
      }
    }
    this.send({ method, params, req_id: reqId });
  }

  private send(message: Record<string, unknown>): void {
    this.venue.send(message);
  }

  private armSnapshotTimer(state: BookState): void {
    this.clearSnapshotTimer(state);
    state.snapshotTimer = this.context.clock.setTimeout(() => {
      state.snapshotTimer = null;
      if (state.awaiting && this.open && this.books.get(state.sub.symbol) === state) {
        this.resubscribeBook(state, `no snapshot within ${this.tuning.snapshotTimeoutMs / 1000} s`);
      }
    }, this.tuning.snapshotTimeoutMs);
  }

  private clearSnapshotTimer(state: BookState): void {
    if (state.snapshotTimer !== null) this.context.clock.clearTimeout(state.snapshotTimer);
    state.snapshotTimer = null;
  }

  private dropBook(symbol: string): void {
    const state = this.books.get(symbol);
    if (state) this.clearSnapshotTimer(state);
    this.books.delete(symbol);
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

  private onFrame(frame: Wire, receivedAt: number): void {
    if (typeof frame.method === 'string') {
      this.answer(frame);
      return;
    }
    if (frame.channel === 'heartbeat') return;
    if (!Array.isArray(frame.data) || !(frame.data as unknown[]).every((entry) => entry !== null && typeof entry === 'object' && !Array.isArray(entry))) {
      this.unreadable(frame.channel, KNOWN_CHANNELS.has(frame.channel as string) ? 'a message whose data is not a list of objects' : 'a frame on a channel it does not know');
      return;
    }
    const data = frame.data as Wire[];
    let problem: string | null = null;
    switch (frame.channel) {
      case 'book':
        for (const entry of data) problem = this.book(entry, frame.type === 'snapshot', receivedAt) ?? problem;
        break;
      case 'ticker':
        for (const entry of data) problem = this.ticker(entry, receivedAt) ?? problem;
        break;
      case 'trade':
        for (const entry of data) problem = this.trade(entry, receivedAt) ?? problem;
        break;
      case 'ohlc':
        problem = this.ohlc(data, frame.type === 'snapshot', (typeof frame.timestamp === 'string' && Date.parse(frame.timestamp)) || receivedAt, receivedAt);
        break;
      case 'status':
        this.status(data[0]);
        break;
      default:
        problem = 'a frame on a channel it does not know';
    }
    if (problem) this.venue.malformed.report(problem);
  }

  /** One report per unreadable message; an unreadable book message may have been an update of any book: they all resync. */
  private unreadable(channel: unknown, problem: string): void {
    this.venue.malformed.report(problem);
    if (channel === 'book') for (const state of this.books.values()) this.resubscribeBook(state, 'an order-book message could not be read');
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
    const refused = [...this.subs.values()].filter((sub) => sub.symbol === symbol && (!request || KRAKEN_CHANNEL_OF_OURS[sub.channel as keyof typeof KRAKEN_CHANNEL_OF_OURS] === request.group.channel));
    if (!symbol || refused.length === 0) {
      if (!symbol) this.context.error(new MarketError('SUBSCRIPTION', `Kraken refused a request: "${words}"`, { provider: 'kraken', reason: words }));
      return;
    }
    for (const sub of refused) {
      this.asked.get(groupKey(this.groupOf(sub)))?.delete(sub.symbol);
      this.subs.delete(subKey(sub));
      if (sub.channel === 'book') this.dropBook(sub.symbol);
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

  /** Returns what could not be read, or null. */
  private book(entry: Wire, snapshot: boolean, receivedAt: number): string | null {
    const symbol = entry.symbol;
    if (typeof symbol !== 'string' || !levelsReadable(entry.bids) || !levelsReadable(entry.asks) || decimalOrNull(entry.checksum) === null) {
      // Nothing of it is applied; the book it was for (or every book, when that is unclear) resyncs.
      const own = typeof symbol === 'string' ? this.books.get(symbol) : undefined;
      const targets = typeof symbol === 'string' ? (own ? [own] : []) : [...this.books.values()];
      for (const target of targets) if (!target.awaiting || snapshot) this.resubscribeBook(target, 'an order-book message could not be read');
      return 'an order-book message that could not be read';
    }
    const state = this.books.get(symbol);
    if (!state) return null;
    if (!snapshot && state.awaiting) return null; // from before the snapshot we asked for
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
      return null;
    }
    if (snapshot) {
      state.awaiting = false;
      this.clearSnapshotTimer(state);
      if (!state.view.markSynced('snapshot checksum verified')) {
        this.resubscribeBook(state, 'crossed snapshot');
        return null;
      }
    }
    if (krakenBookDepth(state.sub.depth) > state.depth) {
      this.resubscribeBook(state, `a node asked for ${state.sub.depth} levels`);
      return null;
    }
    const ts = (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt;
    const event = state.view.toEvent(state.sub.depth, ts, receivedAt);
    if (event) this.context.emit(event);
    else this.resubscribeBook(state, 'crossed book');
    return null;
  }

  private ticker(entry: Wire, receivedAt: number): string | null {
    const symbol = entry.symbol;
    if (typeof symbol !== 'string' || !['bid', 'bid_qty', 'ask', 'ask_qty'].every((field) => entry[field] === undefined || decimalOrNull(entry[field]) !== null)) {
      return 'a ticker that could not be read';
    }
    if (!this.subs.has(`quote:${symbol}`)) return null;
    const quote: QuoteEvent = {
      type: 'quote',
      provider: 'kraken',
      symbol,
      ts: (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt,
      receivedAt,
      ...quoteSides(entry.bid, entry.bid_qty, entry.ask, entry.ask_qty),
    };
    this.context.emit(quote);
    return null;
  }

  private trade(entry: Wire, receivedAt: number): string | null {
    const symbol = entry.symbol;
    const price = decimalOrNull(entry.price);
    const size = decimalOrNull(entry.qty);
    const id = entry.trade_id;
    if (typeof symbol !== 'string' || price === null || price <= 0 || size === null || size <= 0 || (id !== undefined && !isTradeId(id)) || (entry.side !== undefined && entry.side !== 'buy' && entry.side !== 'sell')) {
      return 'a trade that could not be read (price, qty, side or trade_id)';
    }
    if (!this.subs.has(`trade:${symbol}`)) return null;
    const trade: TradeEvent = {
      type: 'trade',
      provider: 'kraken',
      symbol,
      ts: (typeof entry.timestamp === 'string' && Date.parse(entry.timestamp)) || receivedAt,
      receivedAt,
      price,
      size,
    };
    if (entry.side === 'buy' || entry.side === 'sell') trade.side = entry.side; // the taker's side (docs/protocols/kraken.md §5)
    if (id !== undefined) trade.id = String(id);
    this.context.emit(trade);
    return null;
  }

  /**
   * ohlc has no closed flag: a candle is final once one with a later interval_begin arrives,
   * and is then sent once more with closed: true. A snapshot's history is skipped: only its
   * newest candle is sent.
   */
  private ohlc(entries: Wire[], snapshot: boolean, ts: number, receivedAt: number): string | null {
    const readable = entries.filter(ohlcReadable);
    const problem = readable.length < entries.length ? 'an ohlc entry that could not be read' : null;
    const chosen = snapshot ? newestPerSymbol(readable) : readable;
    for (const entry of chosen) {
      const minutes = Number(entry.interval);
      const interval = Object.keys(KRAKEN_INTERVAL_MINUTES).find((name) => KRAKEN_INTERVAL_MINUTES[name] === minutes);
      const symbol = entry.symbol as string;
      if (!interval || !this.subs.has(`candle:${symbol}@${interval}`)) continue;
      const start = Date.parse(entry.interval_begin as string);
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
        volume: decimalOrNull(entry.volume),
        closed: false,
      };
      this.candles.set(key, candle);
      this.context.emit(candle);
    }
    return problem;
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
