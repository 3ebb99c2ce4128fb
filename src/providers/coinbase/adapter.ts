/**
 * The Coinbase Advanced Trade adapter (docs/protocols/coinbase.md): one socket, one subscribe message
 * per channel (heartbeats always, so quiet channels stay open), a JWT in every message when
 * credentials are set.
 *
 * Books: `level2` answers on `l2_data` with a full snapshot, then updates. `sequence_num`
 * counts every message on the connection, whatever the channel, so any hole in it may be a lost
 * book update: every book resyncs (level2 is unsubscribed and subscribed again for a fresh
 * snapshot) and nothing is emitted for it until that snapshot is applied.
 *
 * Refusals: Coinbase answers every subscribe and unsubscribe, in order, with a cumulative
 * `subscriptions` message or an `{"type":"error"}` frame that names no product. Requests are
 * matched to answers in order; a refused subscribe for several products is retried one product
 * per message, so the refusal reaches only the product at fault, in Coinbase's words.
 */
import type { CandleEvent, Channel, QuoteEvent, TradeEvent } from '../../model/events';
import { MarketError } from '../../model/errors';
import { SyncedBook } from '../../book/synced-book';
import type { TimerHandle } from '../../model/clock';
import { VenueSocket } from '../shared/venue-socket';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { CANDLE_MS, COINBASE_CHANNELS, coinbaseUrl, type CoinbaseChannel } from './settings';
import type { CoinbaseTuning } from './limits';
import { createJwtSigner, type JwtSigner } from './auth';
import { isWholeCount, quoteSides } from '../shared/wire-values';
import { candleReadable, level2Problem, tickerReadable, tradeReadable, type Envelope, type Level2Event, type RawCandle, type TickerEvent } from './decode';

type RequestChannel = CoinbaseChannel | 'heartbeats';

interface PendingRequest {
  type: 'subscribe' | 'unsubscribe';
  channel: RequestChannel;
  products: string[];
}

interface BookState {
  readonly sub: UpstreamSubscription;
  readonly view: SyncedBook;
  awaiting: boolean;
  /**
   * A level2 subscribe for a fresh snapshot is queued or not yet answered. Its snapshot will be
   * newer than any hole noticed meanwhile, so further holes ask for nothing more (no storm of
   * unsubscribe/subscribe pairs when many messages go missing at once).
   */
  snapshotAsked: boolean;
  snapshotTimer: TimerHandle;
}

const OUR_CHANNEL_OF: Readonly<Record<CoinbaseChannel, Channel>> = { ticker: 'quote', market_trades: 'trade', candles: 'candle', level2: 'book' };

export class CoinbaseAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly tuning: CoinbaseTuning;
  private readonly venue: VenueSocket;
  private readonly signer: JwtSigner | null;
  /** channel → products the nodes want */
  private readonly wanted = new Map<CoinbaseChannel, Set<string>>();
  /** channel → products asked for on the current socket */
  private readonly asked = new Map<CoinbaseChannel, Set<string>>();
  /** `${channel}:${symbol}` → subscription */
  private readonly subs = new Map<string, UpstreamSubscription>();
  private readonly books = new Map<string, BookState>();
  private readonly lastTradeId = new Map<string, number>();
  private readonly candles = new Map<string, CandleEvent>();
  private inFlight: PendingRequest[] = [];
  private idleWaiters: Array<() => void> = [];
  private lastSeq: number | null = null;
  private open = false;
  private readonly counters = { gaps: 0, resyncRequests: 0, malformed: 0, requests: 0 };

  constructor(context: AdapterContext, tuning: CoinbaseTuning) {
    this.context = context;
    this.tuning = tuning;
    const { apiKey, apiSecret } = context.settings.credentials;
    this.signer = apiKey && apiSecret ? createJwtSigner(apiKey, apiSecret) : null;
    this.venue = new VenueSocket({
      provider: 'coinbase',
      venue: 'Coinbase',
      url: coinbaseUrl(context.settings),
      context,
      staleAfterMs: tuning.staleAfterMs,
      messagesPerSecond: tuning.messagesPerSecond,
      ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
      onOpen: () => this.handshake(),
      onFrame: (frame, receivedAt) => this.onFrame(frame as Envelope, receivedAt),
      onLost: (detail) => this.connectionGone(detail),
      onFlush: () => this.flush(),
    });
  }

  start(): void {
    this.venue.start();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      const channel = COINBASE_CHANNELS[sub.channel as keyof typeof COINBASE_CHANNELS];
      if (!channel) continue;
      this.subs.set(`${channel}:${sub.symbol}`, sub);
      setOf(this.wanted, channel).add(sub.symbol);
      if (channel === 'level2' && !this.books.has(sub.symbol)) {
        this.books.set(sub.symbol, {
          sub,
          view: new SyncedBook({ provider: 'coinbase', symbol: sub.symbol, onStatus: (state, detail) => this.context.symbolStatus({ symbol: sub.symbol, channel: 'book', state, detail }) }),
          awaiting: true,
          snapshotAsked: false,
          snapshotTimer: null,
        });
      }
    }
    this.venue.scheduleFlush();
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) {
      const channel = COINBASE_CHANNELS[sub.channel as keyof typeof COINBASE_CHANNELS];
      if (!channel || !this.subs.delete(`${channel}:${sub.symbol}`)) continue;
      this.wanted.get(channel)?.delete(sub.symbol);
      if (channel === 'level2') this.dropBook(sub.symbol);
      if (channel === 'market_trades') this.lastTradeId.delete(sub.symbol);
      if (channel === 'candles') this.candles.delete(sub.symbol);
    }
    this.venue.scheduleFlush();
  }

  async stop(): Promise<void> {
    for (const symbol of [...this.books.keys()]) this.dropBook(symbol);
    this.settleAll();
    await this.venue.close();
  }

  stats(): Record<string, number> {
    return { connections: this.venue.openCount, ...this.counters, malformed: this.venue.malformed.count };
  }

  // ---- subscriptions ------------------------------------------------------------------------

  /** On every open: heartbeats first (Coinbase closes a socket with no subscription within 5 s), then every channel; wait for the answers. */
  private async handshake(): Promise<void> {
    this.open = true;
    this.lastSeq = null;
    this.asked.clear();
    this.venue.clearQueue();
    this.settleAll();
    this.request('subscribe', 'heartbeats', []);
    this.flush();
    await new Promise<void>((resolve) => {
      if (this.inFlight.length === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    for (const state of this.books.values()) if (state.awaiting) this.armSnapshotTimer(state);
  }

  /** One subscribe and/or unsubscribe per channel for what changed since the last flush. */
  private flush(): void {
    if (!this.open) return;
    for (const channel of Object.values(COINBASE_CHANNELS)) {
      const wanted = this.wanted.get(channel) ?? new Set<string>();
      const asked = setOf(this.asked, channel);
      const added = [...wanted].filter((product) => !asked.has(product));
      const removed = [...asked].filter((product) => !wanted.has(product));
      if (removed.length > 0) this.request('unsubscribe', channel, removed);
      if (added.length > 0) this.request('subscribe', channel, added);
    }
  }

  private request(type: 'subscribe' | 'unsubscribe', channel: RequestChannel, products: string[]): void {
    if (channel !== 'heartbeats') {
      const asked = setOf(this.asked, channel);
      for (const product of products) {
        if (type === 'subscribe') asked.add(product);
        else asked.delete(product);
      }
    }
    this.inFlight.push({ type, channel, products });
    this.counters.requests += 1;
    const message: Record<string, unknown> = { type, channel };
    if (channel !== 'heartbeats') message.product_ids = products;
    if (this.signer) message.jwt = this.signer.token(this.context.clock.now());
    this.venue.send(message);
  }

  /** Answer to the oldest request: a cumulative `subscriptions` list. */
  private acknowledged(events: unknown[]): void {
    const request = this.inFlight.shift();
    if (request?.type === 'subscribe' && request.channel === 'level2') {
      // Answered: the snapshot follows; a hole seen from now on may have swallowed it.
      for (const product of request.products) {
        const state = this.books.get(product);
        if (state) state.snapshotAsked = false;
      }
    }
    if (request && request.type === 'subscribe' && request.channel !== 'heartbeats') {
      const listed = (events[0] as { subscriptions?: Record<string, string[]> } | undefined)?.subscriptions?.[request.channel] ?? [];
      for (const product of request.products) {
        if (!listed.includes(product) && !listed.includes(aliasOf(product))) this.refuse(request.channel, product, `Coinbase left ${product} out of its ${request.channel} subscriptions`, 'not in the subscriptions answer');
      }
    }
    this.settleIfIdle();
  }

  private refused(message: string, reason: string | undefined): void {
    const request = this.inFlight.shift();
    const words = reason ? `${message} (${reason})` : message;
    if (message === 'authentication failure' && this.signer) {
      this.venue.fail(new MarketError('AUTH', `Coinbase refused the credentials: "${words}"; check the API key name and secret (a CDP key)`, { provider: 'coinbase', reason: words }));
      return;
    }
    if (!request || request.type !== 'subscribe' || request.channel === 'heartbeats') {
      this.context.error(new MarketError('SUBSCRIPTION', `Coinbase: "${words}"`, { provider: 'coinbase', reason: words }));
    } else if (request.products.length > 1) {
      // The refusal names no product: ask for each one alone to find the one at fault.
      for (const product of request.products) this.request('subscribe', request.channel, [product]);
    } else {
      for (const product of request.products) this.refuse(request.channel, product, `Coinbase refused ${request.channel} for ${product}: "${words}"`, words);
    }
    this.settleIfIdle();
  }

  private refuse(channel: CoinbaseChannel, product: string, text: string, reason: string): void {
    this.asked.get(channel)?.delete(product);
    if (!this.wanted.get(channel)?.delete(product)) return;
    this.subs.delete(`${channel}:${product}`);
    if (channel === 'level2') this.dropBook(product);
    this.context.error(new MarketError('SUBSCRIPTION', `${text}; check the product id, e.g. BTC-USD`, { provider: 'coinbase', symbol: product, channel: OUR_CHANNEL_OF[channel], reason }));
  }

  private settleIfIdle(): void {
    if (this.inFlight.length === 0) this.settleAll();
  }

  private settleAll(): void {
    this.inFlight = [];
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private connectionGone(detail: string): void {
    this.open = false;
    this.venue.clearQueue();
    this.settleAll();
    for (const state of this.books.values()) {
      state.snapshotAsked = false;
      this.loseBook(state, `connection lost: ${detail}`);
    }
  }

  // ---- frames -------------------------------------------------------------------------------

  private onFrame(frame: Envelope, receivedAt: number): void {
    if (frame.type === 'error') {
      this.refused(typeof frame.message === 'string' ? frame.message : 'error', typeof frame.reason === 'string' ? frame.reason : undefined);
      return;
    }
    const seq = frame.sequence_num;
    if (seq !== undefined && !isWholeCount(seq)) {
      // Not trusted as a sequence number (a huge one would make every later message look old);
      // the next message shows the hole, if there is one.
      this.venue.malformed.report('a message with an unreadable sequence_num');
      return;
    }
    if (seq !== undefined) {
      if (this.lastSeq !== null) {
        if (seq <= this.lastSeq) return; // out of order: Coinbase says to ignore it
        if (seq > this.lastSeq + 1) this.sequenceGap(this.lastSeq + 1, seq - 1);
      }
      this.lastSeq = seq;
    }
    if (frame.events !== undefined && !Array.isArray(frame.events)) {
      this.unreadable(frame.channel, 'a message whose events are not a list');
      return;
    }
    const events = frame.events ?? [];
    const ts = (typeof frame.timestamp === 'string' && Date.parse(frame.timestamp)) || receivedAt;
    let problem: string | null = null;
    switch (frame.channel) {
      case 'subscriptions':
        this.acknowledged(events);
        return;
      case 'l2_data':
        problem = level2Problem(events);
        if (problem) break;
        for (const event of events) this.level2(event as Level2Event, ts, receivedAt, seq);
        return;
      case 'ticker':
        for (const event of events) problem = this.tickers(event, ts, receivedAt) ?? problem;
        break;
      case 'market_trades':
        for (const event of events) problem = this.trades(event, receivedAt) ?? problem;
        break;
      case 'candles':
        for (const event of events) problem = this.candleEvents(event, ts, receivedAt) ?? problem;
        break;
      case 'heartbeats':
        return;
      default:
        problem = frame.channel === undefined ? 'a frame without a channel' : 'a message on a channel it does not know';
    }
    if (problem) this.unreadable(frame.channel, problem);
  }

  /** One report per unreadable message; an unreadable book message may have been an update: the books resync. */
  private unreadable(channel: unknown, problem: string): void {
    this.venue.malformed.report(problem);
    if (channel === 'l2_data' && this.books.size > 0) {
      const products = [...this.books.keys()];
      for (const state of this.books.values()) this.loseBook(state, 'an order-book message could not be read');
      this.requestSnapshots(products);
    }
  }

  /** Messages `first`…`last` never arrived: each of them may have been a book update. */
  private sequenceGap(first: number, last: number): void {
    this.counters.gaps += 1;
    const detail = first === last ? `message ${first} missing` : `messages ${first}…${last} missing`;
    this.context.log.warn(`coinbase: sequence gap, ${detail}`);
    const products = [...this.books.keys()];
    for (const state of this.books.values()) this.loseBook(state, `sequence gap: ${detail}`);
    this.requestSnapshots(products);
  }

  /** Unsubscribe and subscribe level2 again: Coinbase answers the subscribe with a fresh snapshot. */
  private requestSnapshots(products: string[]): void {
    const due = products.filter((product) => !this.books.get(product)?.snapshotAsked);
    if (due.length === 0 || !this.open) return;
    this.counters.resyncRequests += 1;
    this.request('unsubscribe', 'level2', due);
    this.request('subscribe', 'level2', due);
    for (const product of due) {
      const state = this.books.get(product);
      if (!state) continue;
      state.snapshotAsked = true;
      this.armSnapshotTimer(state);
    }
  }

  private armSnapshotTimer(state: BookState): void {
    if (state.snapshotTimer !== null) this.context.clock.clearTimeout(state.snapshotTimer);
    state.snapshotTimer = this.context.clock.setTimeout(() => {
      state.snapshotTimer = null;
      state.snapshotAsked = false;
      if (state.awaiting && this.books.get(state.sub.symbol) === state) this.requestSnapshots([state.sub.symbol]);
    }, this.tuning.snapshotTimeoutMs);
  }

  private loseBook(state: BookState, detail: string): void {
    state.awaiting = true;
    state.view.lose(detail);
  }

  private dropBook(symbol: string): void {
    const state = this.books.get(symbol);
    if (!state) return;
    this.books.delete(symbol);
    if (state.snapshotTimer !== null) this.context.clock.clearTimeout(state.snapshotTimer);
    state.snapshotTimer = null;
  }

  private level2(event: Level2Event, ts: number, receivedAt: number, seq: number | undefined): void {
    const updates = event.updates ?? [];
    for (const symbol of this.targets('level2', event.product_id)) {
      const state = this.books.get(symbol);
      if (!state) continue;
      const book = state.view.book;
      if (event.type === 'snapshot') {
        book.clear();
        applyLevels(book.bids, book.asks, updates);
        if (state.snapshotTimer !== null) this.context.clock.clearTimeout(state.snapshotTimer);
        state.snapshotTimer = null;
        state.awaiting = false;
        if (!state.view.markSynced(`snapshot at sequence ${seq ?? '?'}`)) {
          this.loseBook(state, 'crossed snapshot');
          this.requestSnapshots([symbol]);
          continue;
        }
      } else {
        if (state.awaiting) continue; // from before the snapshot we asked for
        applyLevels(book.bids, book.asks, updates);
      }
      const out = state.view.toEvent(state.sub.depth, ts, receivedAt, seq);
      if (out) this.context.emit(out);
      else {
        state.awaiting = true;
        this.requestSnapshots([symbol]);
      }
    }
  }

  /** Returns what could not be read, or null. */
  private tickers(event: unknown, ts: number, receivedAt: number): string | null {
    const tickers = (event as TickerEvent | null)?.tickers;
    if (!Array.isArray(tickers)) return 'a ticker message without tickers';
    let problem: string | null = null;
    for (const ticker of tickers) {
      if (!tickerReadable(ticker)) {
        problem = 'a ticker that could not be read';
        continue;
      }
      for (const symbol of this.targets('ticker', ticker.product_id)) {
        const quote: QuoteEvent = {
          type: 'quote',
          provider: 'coinbase',
          symbol,
          ts,
          receivedAt,
          ...quoteSides(ticker.best_bid, ticker.best_bid_quantity, ticker.best_ask, ticker.best_ask_quantity),
        };
        this.context.emit(quote);
      }
    }
    return problem;
  }

  /**
   * The first snapshot is history (trades before the subscription) and is skipped; a later one
   * (after a reconnect) fills the hole with the trades newer than the last one sent. `side` is
   * left out: Coinbase's documents call it the maker's side, clients have found it to be the
   * taker's (docs/protocols/coinbase.md A5) — a wrong aggressor is worse than none.
   */
  private trades(event: unknown, receivedAt: number): string | null {
    const body = event as { type?: unknown; trades?: unknown } | null;
    if (!body || !Array.isArray(body.trades)) return 'a market_trades message without trades';
    const readable = (body.trades as unknown[]).filter(tradeReadable);
    const problem = readable.length < body.trades.length ? 'a trade that could not be read (id, product, price, size or time)' : null;
    const trades = readable.sort((a, b) => Number(a.trade_id) - Number(b.trade_id));
    /** symbol → this snapshot is the symbol's first news: history, not sent. */
    const historyOnly = new Map<string, boolean>();
    for (const raw of trades) {
      const id = Number(raw.trade_id);
      for (const symbol of this.targets('market_trades', raw.product_id)) {
        const last = this.lastTradeId.get(symbol);
        if (!historyOnly.has(symbol)) historyOnly.set(symbol, body.type === 'snapshot' && last === undefined);
        if (last !== undefined && id <= last) continue;
        this.lastTradeId.set(symbol, id);
        if (historyOnly.get(symbol)) continue;
        const trade: TradeEvent = { type: 'trade', provider: 'coinbase', symbol, ts: Date.parse(raw.time) || receivedAt, receivedAt, price: Number(raw.price), size: Number(raw.size), id: raw.trade_id };
        this.context.emit(trade);
      }
    }
    return problem;
  }

  /** Candles have no closed flag: a bucket is final when the next one starts, and is sent once more with closed: true. */
  private candleEvents(event: unknown, ts: number, receivedAt: number): string | null {
    const body = event as { type?: unknown; candles?: unknown } | null;
    if (!body || !Array.isArray(body.candles)) return 'a candles message without candles';
    const readable = (body.candles as unknown[]).filter(candleReadable);
    const problem = readable.length < body.candles.length ? 'a candle that could not be read' : null;
    const raws = readable.sort((a, b) => Number(a.start) - Number(b.start));
    const latest = new Map<string, RawCandle>();
    for (const raw of raws) latest.set(raw.product_id, raw);
    const chosen = body.type === 'snapshot' ? [...latest.values()] : raws;
    for (const raw of chosen) {
      const start = Number(raw.start) * 1000;
      for (const symbol of this.targets('candles', raw.product_id)) {
        const current = this.candles.get(symbol);
        if (current && start < current.start) continue;
        if (current && start > current.start) this.context.emit({ ...current, closed: true, ts, receivedAt });
        const candle: CandleEvent = {
          type: 'candle',
          provider: 'coinbase',
          symbol,
          ts,
          receivedAt,
          interval: '5m',
          start,
          end: start + CANDLE_MS,
          open: Number(raw.open),
          high: Number(raw.high),
          low: Number(raw.low),
          close: Number(raw.close),
          volume: Number(raw.volume),
          closed: false,
        };
        this.candles.set(symbol, candle);
        this.context.emit(candle);
      }
    }
    return problem;
  }

  /** Subscribed symbols a message's product id feeds: itself, and X-USDC for X-USD (Coinbase answers -USDC subscriptions with the -USD product, docs/protocols/coinbase.md A3). */
  private targets(channel: CoinbaseChannel, productId: string | undefined): string[] {
    if (!productId) return [];
    const wanted = this.wanted.get(channel);
    if (!wanted) return [];
    const out: string[] = [];
    if (wanted.has(productId)) out.push(productId);
    if (productId.endsWith('-USD') && wanted.has(`${productId}C`)) out.push(`${productId}C`);
    return out;
  }

}

function applyLevels(bids: SyncedBook['book']['bids'], asks: SyncedBook['book']['asks'], updates: NonNullable<Level2Event['updates']>): void {
  for (const update of updates) {
    const side = update.side === 'bid' ? bids : update.side === 'offer' ? asks : null;
    if (side) side.set(Number(update.price_level), Number(update.new_quantity));
  }
}

function aliasOf(product: string): string {
  return product.endsWith('-USDC') ? product.slice(0, -1) : product;
}


function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
