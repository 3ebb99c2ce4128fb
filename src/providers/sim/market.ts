/**
 * The simulated market: price paths, L2 books whose top is the quote, trades that hit the book,
 * candles and day summaries built from those trades, and option chains priced with
 * Black–Scholes whose quotes, greeks and labelled order flow follow the underlying.
 *
 * Time is virtual: tasks run on a Scheduler, and `advanceTo` moves the market forward. In real
 * time the adapter advances to the wall clock; at full speed it advances as fast as it can.
 */
import { OrderBook } from '../../book/order-book';
import type { Channel, MarketEvent, QuoteEvent, TradeEvent } from '../../model/events';
import type { UpstreamSubscription } from '../../model/provider';
import { blackScholes } from './black-scholes';
import { planOrder, roundCents, type SimPrintLabel, type SimTradeEvent } from './flow-plan';
import { Random, streamSeed } from './random';
import { Scheduler } from './scheduler';
import { OPTION_EXCHANGES, SIM_INSTRUMENTS, buildChain, contractFor, intervalMs, type SimContract, type SimInstrument } from './universe';

export interface SimMarketOptions {
  seed: number;
  /** Multiplies every event frequency. */
  rate: number;
  /** Virtual start time, epoch ms. */
  startAt: number;
  /** Local time for receivedAt. */
  wallNow: () => number;
  emit: (event: MarketEvent) => void;
}

const YEAR_MS = 365 * 86_400_000;
const RISK_FREE = 0.04;
const PATH_STEP_MS = 100;
const BOOK_EVERY_MS = 200;
const OPTION_QUOTE_EVERY_MS = 1_000;
const GREEKS_EVERY_MS = 2_000;
const SUMMARY_EVERY_MS = 5_000;
/** Chain-wide order arrivals per second at rate 1. */
const CHAIN_ORDERS_PER_SEC = 1.5;
/** No two orders on one contract closer than this after the last leg (2 × the default window). */
const CONTRACT_REST_MS = 1_000;
const BOOK_LEVELS = 25;
/** Strikes listed each side of the money: wide enough that the wings trade for pennies or have no bid. */
const STRIKES_EACH_SIDE = 8;

interface DayStats {
  open: number;
  high: number;
  low: number;
  volume: number;
  notional: number;
  prevClose: number;
}

interface CandleState {
  interval: string;
  ms: number;
  start: number;
  open: number | null;
  high: number;
  low: number;
  close: number;
  volume: number;
  dirty: boolean;
}

interface InstrumentState {
  def: SimInstrument;
  mid: number;
  pathRng: Random;
  bookRng: Random;
  tradeRng: Random;
  book: OrderBook;
  seq: number;
  tradeCount: number;
  day: DayStats;
  candles: Map<string, CandleState>;
  chain: SimContract[] | null;
  flowRng: Random;
  orderCount: number;
  busyUntil: Map<string, number>;
}

interface ContractQuote {
  bid: number | null;
  bidSize: number | null;
  ask: number;
  askSize: number;
  bidExchange: string | undefined;
  askExchange: string;
  at: number;
}

interface ContractState {
  contract: SimContract;
  rng: Random;
  quote: ContractQuote | null;
  openInterest: number;
  day: DayStats;
  prints: number;
  /** The quote stays as it is until an order's last leg has printed, so every leg sees the same NBBO. */
  quoteFrozenUntil: number;
}

export class SimMarket {
  private readonly options: SimMarketOptions;
  private readonly scheduler: Scheduler;
  private readonly instruments = new Map<string, InstrumentState>();
  private readonly contracts = new Map<string, ContractState>();
  private readonly subscriptions = new Map<string, UpstreamSubscription>();
  /** symbol → channels subscribed directly */
  private direct = new Map<string, Set<Channel>>();
  /** underlying → channels subscribed as a chain (`SPY*`) */
  private chains = new Map<string, Set<Channel>>();
  private readonly runningTasks = new Set<string>();
  private emitted = 0;

  constructor(options: SimMarketOptions) {
    this.options = options;
    this.scheduler = new Scheduler(options.startAt);
    for (const def of SIM_INSTRUMENTS) {
      const state = this.createInstrument(def);
      this.instruments.set(def.symbol, state);
      this.scheduler.schedule(options.startAt + PATH_STEP_MS, (at) => this.stepPath(state, at));
    }
  }

  get virtualNow(): number {
    return this.scheduler.now;
  }

  get eventsEmitted(): number {
    return this.emitted;
  }

  /** Runs the market up to `until` (virtual ms); at most `limit` task runs. Returns the runs made. */
  advanceTo(until: number, limit?: number): number {
    return this.scheduler.runUntil(until, limit);
  }

  add(subscription: UpstreamSubscription): void {
    this.subscriptions.set(subscription.key, subscription);
    this.reindex();
    this.ensureTasks(subscription);
  }

  remove(subscription: UpstreamSubscription): void {
    this.subscriptions.delete(subscription.key);
    this.reindex();
  }

  /** Contracts listed on an underlying (built on first use around the current price). */
  chainOf(underlying: string): SimContract[] {
    const state = this.instruments.get(underlying);
    if (!state || !state.def.strikeStep) return [];
    if (!state.chain) state.chain = buildChain(state.def, state.mid, this.options.startAt, STRIKES_EACH_SIDE);
    return state.chain;
  }

  private createInstrument(def: SimInstrument): InstrumentState {
    const seed = this.options.seed;
    const pre = new Random(streamSeed(seed, `day:${def.symbol}`));
    const prevClose = roundTo(def.spot * (1 + 0.01 * pre.normal()), def.decimals);
    const open = roundTo(prevClose * (1 + 0.005 * pre.normal()), def.decimals);
    const volume = roundTo(def.lot * pre.int(20_000, 80_000), 4);
    return {
      def,
      mid: def.spot,
      pathRng: new Random(streamSeed(seed, `path:${def.symbol}`)),
      bookRng: new Random(streamSeed(seed, `book:${def.symbol}`)),
      tradeRng: new Random(streamSeed(seed, `trade:${def.symbol}`)),
      book: new OrderBook(),
      seq: 0,
      tradeCount: 0,
      day: { open, high: Math.max(open, def.spot), low: Math.min(open, def.spot), volume, notional: volume * (open + def.spot) / 2, prevClose },
      candles: new Map(),
      chain: null,
      flowRng: new Random(streamSeed(seed, `flow:${def.symbol}`)),
      orderCount: 0,
      busyUntil: new Map(),
    };
  }

  private contractState(contract: SimContract): ContractState {
    let state = this.contracts.get(contract.symbol);
    if (!state) {
      const rng = new Random(streamSeed(this.options.seed, `option:${contract.symbol}`));
      const underlying = this.instruments.get(contract.underlying.symbol) as InstrumentState;
      const theo = Math.max(0.01, roundCents(this.price(contract, underlying.def.spot, this.options.startAt).price));
      const distance = Math.abs(Math.log(contract.option.strike / underlying.def.spot));
      const openInterest = Math.max(10, Math.round(rng.int(2_000, 40_000) * Math.exp(-distance * 12)));
      const open = roundCents(theo * (1 + 0.05 * rng.normal())) || 0.01;
      state = {
        contract,
        rng,
        quote: null,
        openInterest,
        day: { open, high: Math.max(open, theo), low: Math.min(open, theo), volume: Math.max(1, Math.round(openInterest * 0.1 * rng.next())), notional: 0, prevClose: theo },
        prints: 0,
        quoteFrozenUntil: 0,
      };
      state.day.notional = state.day.volume * theo;
      this.contracts.set(contract.symbol, state);
    }
    return state;
  }

  private reindex(): void {
    const direct = new Map<string, Set<Channel>>();
    const chains = new Map<string, Set<Channel>>();
    for (const sub of this.subscriptions.values()) {
      const isChain = sub.symbol.endsWith('*');
      const table = isChain ? chains : direct;
      const symbol = isChain ? sub.symbol.slice(0, -1) : sub.symbol;
      let channels = table.get(symbol);
      if (!channels) {
        channels = new Set();
        table.set(symbol, channels);
      }
      channels.add(sub.channel);
    }
    this.direct = direct;
    this.chains = chains;
  }

  private wants(symbol: string, channel: Channel): boolean {
    return this.direct.get(symbol)?.has(channel) ?? false;
  }

  private contractWants(contract: SimContract, channel: Channel): boolean {
    return this.wants(contract.symbol, channel) || (this.chains.get(contract.underlying.symbol)?.has(channel) ?? false);
  }

  /** Starts the generators a new subscription needs. */
  private ensureTasks(sub: UpstreamSubscription): void {
    const at = this.scheduler.now + 1;
    if (sub.symbol.endsWith('*')) {
      const underlying = sub.symbol.slice(0, -1);
      if (sub.channel === 'trade') this.ensureTask(`flow:${underlying}`, at, (t) => this.runFlow(underlying, t));
      else for (const contract of this.chainOf(underlying)) this.ensureContractTask(contract, sub.channel, at);
      return;
    }
    const contract = contractFor(sub.symbol);
    if (contract) {
      if (sub.channel === 'trade') this.ensureTask(`flow:${contract.underlying.symbol}`, at, (t) => this.runFlow(contract.underlying.symbol, t));
      else this.ensureContractTask(contract, sub.channel, at);
      return;
    }
    const state = this.instruments.get(sub.symbol);
    if (!state) return;
    this.ensureTask(`book:${sub.symbol}`, at, (t) => this.runBook(state, t));
    if (sub.channel === 'trade' || sub.channel === 'candle' || sub.channel === 'summary') {
      this.ensureTask(`trades:${sub.symbol}`, at, (t) => this.runTrades(state, t));
    }
    if (sub.channel === 'candle' && sub.interval) {
      const interval = sub.interval;
      const ms = intervalMs(interval);
      if (!state.candles.has(interval)) state.candles.set(interval, newCandle(interval, ms, this.scheduler.now));
      this.ensureTask(`candle:${sub.symbol}@${interval}`, Math.floor(at / 1000) * 1000 + 1000, (t) => this.runCandle(state, interval, t));
    }
    if (sub.channel === 'summary') this.ensureTask(`summary:${sub.symbol}`, at, (t) => this.runSummary(state, t));
  }

  private ensureContractTask(contract: SimContract, channel: Channel, at: number): void {
    const state = this.contractState(contract);
    const jitter = state.rng.int(0, 500);
    if (channel === 'quote') this.ensureTask(`oquote:${contract.symbol}`, at + jitter, (t) => this.runOptionQuote(state, t));
    else if (channel === 'greeks') this.ensureTask(`greeks:${contract.symbol}`, at + jitter, (t) => this.runGreeks(state, t));
    else if (channel === 'summary') this.ensureTask(`osummary:${contract.symbol}`, at + jitter, (t) => this.runOptionSummary(state, t));
  }

  private ensureTask(id: string, at: number, run: (at: number) => number | null): void {
    if (this.runningTasks.has(id)) return;
    this.runningTasks.add(id);
    this.scheduler.schedule(at, (t) => {
      const next = run(t);
      if (next === null) this.runningTasks.delete(id);
      return next;
    });
  }

  private every(ms: number, rng: Random): number {
    return (ms / this.options.rate) * (0.8 + 0.4 * rng.next());
  }

  private send(event: MarketEvent): void {
    this.emitted += 1;
    this.options.emit(event);
  }

  // ── underlying instruments ────────────────────────────────────────────────────────────

  private stepPath(state: InstrumentState, at: number): number {
    const dt = PATH_STEP_MS / YEAR_MS;
    state.mid *= Math.exp(state.def.vol * Math.sqrt(dt) * state.pathRng.normal() - (state.def.vol * state.def.vol * dt) / 2);
    return at + PATH_STEP_MS;
  }

  private runBook(state: InstrumentState, at: number): number | null {
    const symbol = state.def.symbol;
    const wantsBook = this.wants(symbol, 'book');
    const wantsQuote = this.wants(symbol, 'quote');
    if (!this.direct.has(symbol)) return null;
    this.reshapeBook(state);
    const book = state.book;
    if (wantsBook) {
      const depth = this.subscriptions.get(`book:${symbol}`)?.depth ?? 10;
      this.send({ type: 'book', provider: 'sim', symbol, ts: at, receivedAt: this.options.wallNow(), bids: book.bids.top(depth), asks: book.asks.top(depth), depth, seq: state.seq });
    }
    if (wantsQuote) this.send(this.instrumentQuote(state, at));
    return at + this.every(BOOK_EVERY_MS, state.bookRng);
  }

  /** Moves the book to the current mid: uncross, refill to BOOK_LEVELS, jiggle a few sizes. */
  private reshapeBook(state: InstrumentState): void {
    const { def, book, bookRng: rng } = state;
    const levels = Math.max(BOOK_LEVELS, this.subscriptions.get(`book:${def.symbol}`)?.depth ?? 0);
    const spreadSteps = 1 + (rng.chance(0.3) ? rng.int(1, def.kind === 'crypto' ? 4 : 2) : 0);
    const bidTicks = Math.floor(state.mid / def.step - spreadSteps / 2);
    const askTicks = bidTicks + spreadSteps;
    const price = (ticks: number): number => roundTo(ticks * def.step, def.decimals);
    book.bids.removeBetterThan(price(bidTicks));
    book.asks.removeBetterThan(price(askTicks));
    for (let i = 0; i < levels; i++) {
      const bid = price(bidTicks - i);
      const ask = price(askTicks + i);
      if (book.bids.sizeAt(bid) === undefined) book.bids.set(bid, this.levelSize(state, i));
      if (book.asks.sizeAt(ask) === undefined) book.asks.set(ask, this.levelSize(state, i));
    }
    for (let n = rng.int(1, 4); n > 0; n--) {
      const side = rng.chance(0.5) ? book.bids : book.asks;
      const index = rng.int(0, Math.min(levels, side.length) - 1);
      const level = side.prices[index];
      if (level !== undefined) side.set(level, this.levelSize(state, index));
    }
    book.bids.truncate(levels);
    book.asks.truncate(levels);
    state.seq += 1;
  }

  private levelSize(state: InstrumentState, level: number): number {
    const size = state.def.lot * Math.exp(0.8 * state.bookRng.normal()) * (1 + level / 8) * 3;
    return state.def.kind === 'crypto' ? Math.max(0.0001, roundTo(size, 4)) : Math.max(1, Math.round(size));
  }

  private instrumentQuote(state: InstrumentState, at: number): QuoteEvent {
    const { book, def } = state;
    const quote: QuoteEvent = {
      type: 'quote',
      provider: 'sim',
      symbol: def.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      bid: book.bids.best ?? null,
      bidSize: book.bids.sizes[0] ?? null,
      ask: book.asks.best ?? null,
      askSize: book.asks.sizes[0] ?? null,
    };
    if (def.exchanges) {
      quote.bidExchange = state.bookRng.pick(def.exchanges);
      quote.askExchange = state.bookRng.pick(def.exchanges);
    }
    return quote;
  }

  private runTrades(state: InstrumentState, at: number): number | null {
    const symbol = state.def.symbol;
    const channels = this.direct.get(symbol);
    if (!channels || !(channels.has('trade') || channels.has('candle') || channels.has('summary'))) return null;
    if (state.book.bids.length === 0) this.reshapeBook(state);
    const rng = state.tradeRng;
    const buy = rng.chance(0.5);
    const side = buy ? state.book.asks : state.book.bids;
    const price = side.best as number;
    const available = side.sizes[0] as number;
    const raw = state.def.lot * Math.exp(0.9 * rng.normal());
    const size = Math.min(available, state.def.kind === 'crypto' ? Math.max(0.0001, roundTo(raw, 4)) : Math.max(1, Math.round(raw)));
    side.set(price, roundTo(available - size, 4));
    state.tradeCount += 1;
    this.recordTrade(state.day, price, size);
    for (const candle of state.candles.values()) this.addToCandle(state, candle, price, size, at);
    if (channels.has('trade')) {
      const trade: TradeEvent = { type: 'trade', provider: 'sim', symbol, ts: at, receivedAt: this.options.wallNow(), price, size, side: buy ? 'buy' : 'sell', id: String(state.tradeCount) };
      if (state.def.exchanges) trade.exchange = rng.pick(state.def.exchanges);
      this.send(trade);
    }
    return at + rng.waitMs(state.def.tradesPerSec * this.options.rate);
  }

  private recordTrade(day: DayStats, price: number, size: number): void {
    day.high = Math.max(day.high, price);
    day.low = Math.min(day.low, price);
    day.volume += size;
    day.notional += price * size;
  }

  private addToCandle(state: InstrumentState, candle: CandleState, price: number, size: number, at: number): void {
    if (at >= candle.start + candle.ms) this.rollCandle(state, candle, at);
    if (candle.open === null) {
      candle.open = price;
      candle.high = price;
      candle.low = price;
    }
    candle.high = Math.max(candle.high, price);
    candle.low = Math.min(candle.low, price);
    candle.close = price;
    candle.volume = roundTo(candle.volume + size, 6);
    candle.dirty = true;
  }

  /** Closes the current bucket (a closed candle goes out if it had trades) and opens the one holding `at`. */
  private rollCandle(state: InstrumentState, candle: CandleState, at: number): void {
    if (candle.open !== null && this.wants(state.def.symbol, 'candle')) this.sendCandle(state, candle, true, candle.start + candle.ms);
    Object.assign(candle, newCandle(candle.interval, candle.ms, at));
  }

  private sendCandle(state: InstrumentState, candle: CandleState, closed: boolean, at: number): void {
    if (candle.open === null) return;
    this.send({
      type: 'candle',
      provider: 'sim',
      symbol: state.def.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      interval: candle.interval,
      start: candle.start,
      end: candle.start + candle.ms,
      open: candle.open,
      high: candle.high,
      low: candle.low,
      close: candle.close,
      volume: candle.volume,
      closed,
    });
    candle.dirty = false;
  }

  private runCandle(state: InstrumentState, interval: string, at: number): number | null {
    if (!this.subscriptions.has(`candle:${state.def.symbol}@${interval}`)) {
      state.candles.delete(interval);
      return null;
    }
    const candle = state.candles.get(interval);
    if (!candle) return null;
    if (at >= candle.start + candle.ms) this.rollCandle(state, candle, at);
    else if (candle.dirty) this.sendCandle(state, candle, false, at);
    return at + 1000;
  }

  private runSummary(state: InstrumentState, at: number): number | null {
    if (!this.wants(state.def.symbol, 'summary')) return null;
    const { day, def } = state;
    this.send({
      type: 'summary',
      provider: 'sim',
      symbol: def.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      open: day.open,
      high: day.high,
      low: day.low,
      prevClose: day.prevClose,
      volume: roundTo(day.volume, 4),
      vwap: roundTo(day.notional / day.volume, 4),
    });
    return at + this.every(SUMMARY_EVERY_MS, state.bookRng);
  }

  // ── options ───────────────────────────────────────────────────────────────────────────

  private underlyingOf(contract: SimContract): InstrumentState {
    return this.instruments.get(contract.underlying.symbol) as InstrumentState;
  }

  private impliedVol(contract: SimContract, spot: number): number {
    const moneyness = Math.log(contract.option.strike / spot);
    return Math.min(3, Math.max(0.05, contract.underlying.vol * (1 - 0.6 * moneyness + 3 * moneyness * moneyness)));
  }

  private price(contract: SimContract, spot: number, at: number): ReturnType<typeof blackScholes> & { iv: number } {
    const iv = this.impliedVol(contract, spot);
    const years = (contract.expiresAt - at) / YEAR_MS;
    return { ...blackScholes({ spot, strike: contract.option.strike, years, vol: iv, rate: RISK_FREE, right: contract.option.right }), iv };
  }

  private expired(contract: SimContract, at: number): boolean {
    return at >= contract.expiresAt;
  }

  /** A fresh two-sided market around theo. Far out-of-the-money contracts have no bid (null, not 0). */
  private refreshQuote(state: ContractState, at: number): ContractQuote {
    const { contract, rng } = state;
    const theo = this.price(contract, this.underlyingOf(contract).mid, at).price;
    const half = Math.max(0.01, roundCents(theo * 0.02 + 0.01));
    const quote: ContractQuote =
      theo < 0.05
        ? { bid: null, bidSize: null, ask: Math.max(0.05, roundCents(theo + 0.05)), askSize: rng.int(1, 300), bidExchange: undefined, askExchange: rng.pick(OPTION_EXCHANGES), at }
        : {
            bid: Math.max(0.01, roundCents(theo - half)),
            bidSize: rng.int(1, 300),
            ask: roundCents(theo + half),
            askSize: rng.int(1, 300),
            bidExchange: rng.pick(OPTION_EXCHANGES),
            askExchange: rng.pick(OPTION_EXCHANGES),
            at,
          };
    state.quote = quote;
    if (this.contractWants(contract, 'quote')) {
      const event: QuoteEvent = {
        type: 'quote',
        provider: 'sim',
        symbol: contract.symbol,
        ts: at,
        receivedAt: this.options.wallNow(),
        option: contract.option,
        bid: quote.bid,
        bidSize: quote.bidSize,
        ask: quote.ask,
        askSize: quote.askSize,
        askExchange: quote.askExchange,
      };
      if (quote.bidExchange !== undefined) event.bidExchange = quote.bidExchange;
      this.send(event);
    }
    return quote;
  }

  private runOptionQuote(state: ContractState, at: number): number | null {
    if (!this.contractWants(state.contract, 'quote') || this.expired(state.contract, at)) return null;
    if (at <= state.quoteFrozenUntil) return state.quoteFrozenUntil + 1;
    this.refreshQuote(state, at);
    return at + this.every(OPTION_QUOTE_EVERY_MS, state.rng);
  }

  private runGreeks(state: ContractState, at: number): number | null {
    const contract = state.contract;
    if (!this.contractWants(contract, 'greeks') || this.expired(contract, at)) return null;
    const spot = this.underlyingOf(contract).mid;
    const result = this.price(contract, spot, at);
    this.send({
      type: 'greeks',
      provider: 'sim',
      symbol: contract.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      option: contract.option,
      delta: significant(result.delta),
      gamma: significant(result.gamma),
      theta: significant(result.theta),
      vega: significant(result.vega),
      rho: significant(result.rho),
      iv: significant(result.iv),
      theo: significant(result.price),
      underlyingPrice: roundTo(spot, contract.underlying.decimals),
    });
    return at + this.every(GREEKS_EVERY_MS, state.rng);
  }

  private runOptionSummary(state: ContractState, at: number): number | null {
    const contract = state.contract;
    if (!this.contractWants(contract, 'summary') || this.expired(contract, at)) return null;
    const { day } = state;
    this.send({
      type: 'summary',
      provider: 'sim',
      symbol: contract.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      option: contract.option,
      open: day.open,
      high: day.high,
      low: day.low,
      prevClose: roundCents(day.prevClose),
      volume: day.volume,
      openInterest: state.openInterest,
      vwap: roundTo(day.notional / day.volume, 4),
    });
    return at + this.every(SUMMARY_EVERY_MS, state.rng);
  }

  /** Order flow on one underlying's options: picks a contract, plans an order, schedules its prints. */
  private runFlow(underlying: string, at: number): number | null {
    const state = this.instruments.get(underlying);
    if (!state) return null;
    const chainWanted = this.chains.get(underlying)?.has('trade') ?? false;
    const direct: SimContract[] = [];
    for (const [symbol, channels] of this.direct) {
      if (!channels.has('trade')) continue;
      const contract = contractFor(symbol);
      if (contract && contract.underlying.symbol === underlying) direct.push(contract);
    }
    if (!chainWanted && direct.length === 0) return null;
    const candidates = chainWanted ? [...this.chainOf(underlying), ...direct] : direct;
    const ordersPerSec = chainWanted ? CHAIN_ORDERS_PER_SEC : Math.min(CHAIN_ORDERS_PER_SEC, 0.3 * direct.length);
    const rng = state.flowRng;
    for (let tries = 0; tries < 6; tries++) {
      const contract = this.pickContract(rng, candidates, state.mid);
      if (this.expired(contract, at) || (state.busyUntil.get(contract.symbol) ?? 0) > at) continue;
      const cs = this.contractState(contract);
      const quote = cs.quote && at - cs.quote.at < OPTION_QUOTE_EVERY_MS ? cs.quote : this.refreshQuote(cs, at);
      if (quote.ask < 0.1) continue;
      const order = planOrder(rng, quote, contract.option.multiplier, OPTION_EXCHANGES);
      if (!order) continue;
      state.orderCount += 1;
      const orderId = `${underlying}-${state.orderCount}`;
      let lastLegAt = at;
      order.legs.forEach((leg, index) => {
        const legAt = at + leg.offsetMs;
        lastLegAt = Math.max(lastLegAt, legAt);
        this.scheduler.schedule(legAt, (t) => {
          this.sendPrint(cs, state, t, order.price, leg.size, leg.exchange, order.side, `${orderId}.${index + 1}`, { orderId, kind: order.kind, whale: order.whale, legs: order.legs.length });
          return null;
        });
      });
      cs.quoteFrozenUntil = lastLegAt;
      state.busyUntil.set(contract.symbol, lastLegAt + CONTRACT_REST_MS);
      break;
    }
    return at + rng.waitMs(ordersPerSec * this.options.rate);
  }

  private pickContract(rng: Random, candidates: readonly SimContract[], spot: number): SimContract {
    let total = 0;
    const weights = candidates.map((contract) => {
      const weight = Math.exp(-Math.abs(Math.log(contract.option.strike / spot)) * 25) + 0.02;
      total += weight;
      return weight;
    });
    let pick = rng.next() * total;
    for (let i = 0; i < candidates.length; i++) {
      pick -= weights[i] as number;
      if (pick <= 0) return candidates[i] as SimContract;
    }
    return candidates[candidates.length - 1] as SimContract;
  }

  private sendPrint(
    cs: ContractState,
    underlying: InstrumentState,
    at: number,
    price: number,
    size: number,
    exchange: string,
    side: TradeEvent['side'],
    id: string,
    label: SimPrintLabel,
  ): void {
    this.recordTrade(cs.day, price, size);
    cs.prints += 1;
    const contract = cs.contract;
    if (!this.contractWants(contract, 'trade')) return;
    const trade: SimTradeEvent = {
      type: 'trade',
      provider: 'sim',
      symbol: contract.symbol,
      ts: at,
      receivedAt: this.options.wallNow(),
      option: contract.option,
      price,
      size,
      id,
      exchange,
      underlyingPrice: roundTo(underlying.mid, underlying.def.decimals),
      sim: label,
    };
    if (side) trade.side = side;
    this.send(trade);
  }
}

function newCandle(interval: string, ms: number, at: number): CandleState {
  return { interval, ms, start: Math.floor(at / ms) * ms, open: null, high: 0, low: 0, close: 0, volume: 0, dirty: false };
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Six significant digits: readable, and tiny greeks stay tiny instead of rounding to 0. */
function significant(value: number): number {
  return Number(value.toPrecision(6));
}

