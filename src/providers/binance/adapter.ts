/**
 * The Binance adapter: subscriptions → stream names on BinanceConnections, frames → the decoder,
 * depth diffs → one BinanceDepthSync per book (with REST snapshots), and the check that tells a
 * user when a symbol does not exist (Binance accepts unknown symbols silently, docs/protocols/binance.md §4):
 * a symbol that has sent nothing `verifyAfterMs` after its subscription was confirmed is looked
 * up with exchangeInfo; Binance's "Invalid symbol." then reaches that symbol's nodes.
 */
import type { Channel } from '../../model/events';
import { MarketError } from '../../model/errors';
import { SyncedBook } from '../../book/synced-book';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { binanceRestBase, binanceStreamUrl, parseBinanceOptions, snapshotLimit, streamName, type BinanceOptions } from './settings';
import { BinanceConnections } from './connections';
import { MAX_SNAPSHOT_RETRY_MS, type BinanceTuning } from './limits';
import { BinanceDecoder, type BinanceErrorBody, type DepthDiff, type FrameSource } from './decode';
import { BinanceDepthSync, type DepthSnapshot } from './book';
import { BinanceRest, BinanceRestError, INVALID_SYMBOL } from './rest';
import { MalformedFrames } from '../shared/venue-socket';
import { WeightBudget } from '../../transport/weight-budget';

interface BookEntry {
  readonly sub: UpstreamSubscription;
  readonly sync: BinanceDepthSync;
  /** The depth stream is confirmed on the connection that carries it: snapshots make sense. */
  live: boolean;
  fetching: boolean;
  retryTimer: TimerHandle;
  retryDelayMs: number;
  /** A snapshot waiting for the first diff event (see BinanceDepthSync.onSnapshot). */
  heldSnapshot: DepthSnapshot | null;
  quietTimer: TimerHandle;
}

export class BinanceAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly tuning: BinanceTuning;
  private readonly options: BinanceOptions;
  private readonly decoder: BinanceDecoder;
  private readonly connections: BinanceConnections;
  private readonly rest: BinanceRest;
  /** stream name → subscription */
  private readonly streams = new Map<string, UpstreamSubscription>();
  private readonly books = new Map<string, BookEntry>();
  /** Symbols confirmed but not yet heard from → when to look them up. */
  private readonly unverified = new Map<string, number>();
  /** Symbols known to exist (data seen or listed by exchangeInfo). */
  private readonly verified = new Set<string>();
  private verifyTimer: TimerHandle = null;
  /** Batches of silent symbols waiting for their exchangeInfo lookup, one request at a time. */
  private readonly verifyQueue: Array<{ symbols: string[]; whole: boolean }> = [];
  private verifyInFlight = false;
  private verifyPause: TimerHandle = null;
  private verifyRound = newVerifyRound();
  private stopped = false;
  private readonly counters = { snapshots: 0, resyncs: 0, unknownSymbols: 0 };
  private readonly malformedFrames: MalformedFrames;

  constructor(context: AdapterContext, tuning: BinanceTuning) {
    this.malformedFrames = new MalformedFrames(context, 'binance', 'Binance');
    this.context = context;
    this.tuning = tuning;
    this.options = parseBinanceOptions(context.settings.options);
    const url = binanceStreamUrl(context.settings, this.options);
    this.rest = new BinanceRest(binanceRestBase(context.settings), new WeightBudget(context.clock, tuning.restWeightPerMinute));
    this.decoder = new BinanceDecoder(
      {
        event: (event) => {
          if (this.unverified.size > 0 && this.unverified.delete(event.symbol)) this.verified.add(event.symbol);
          this.context.emit(event);
        },
        depth: (symbol, diff, receivedAt, source) => this.onDepth(symbol, diff, receivedAt, source),
        reply: (id, error) => this.connections.handleReply(id, error),
        shutdown: (source) => this.connections.handleShutdown(source),
        malformed: (reason) => this.onMalformed(reason),
      },
      { microseconds: this.options.microseconds, tradeStream: this.options.tradeStream },
    );
    this.connections = new BinanceConnections(
      {
        target: () => ({ url }),
        onFrame: (data, isBinary, receivedAt, source) => {
          if (isBinary) this.onMalformed('a binary frame where text was expected');
          else this.decoder.decode(data.toString(), receivedAt, source);
        },
        onState: (change) => context.setState(change),
        onStreamsLive: (streams) => this.onStreamsLive(streams),
        onStreamsLost: (streams, detail) => this.onStreamsLost(streams, detail),
        onOverlapEnd: (streams) => this.onOverlapEnd(streams),
        onSubscribeError: (streams, error) => this.onSubscribeError(streams, error),
      },
      tuning,
      context.clock,
      context.log,
    );
  }

  start(): void {
    this.connections.start();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const added: string[] = [];
    for (const sub of subscriptions) {
      const name = streamName(sub, this.options.tradeStream);
      this.streams.set(name, sub);
      added.push(name);
      if (sub.channel === 'book' && !this.books.has(sub.symbol)) this.books.set(sub.symbol, this.createBook(sub));
    }
    this.connections.add(added);
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    const removed: string[] = [];
    for (const sub of subscriptions) {
      const name = streamName(sub, this.options.tradeStream);
      if (!this.streams.delete(name)) continue;
      removed.push(name);
      if (sub.channel === 'book') this.dropBook(sub.symbol);
      if (!this.hasStreamsOf(sub.symbol)) this.forgetSymbol(sub.symbol);
    }
    this.connections.remove(removed);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const clock = this.context.clock;
    if (this.verifyTimer !== null) clock.clearInterval(this.verifyTimer);
    this.verifyTimer = null;
    if (this.verifyPause !== null) clock.clearTimeout(this.verifyPause);
    this.verifyPause = null;
    this.verifyQueue.length = 0;
    for (const symbol of [...this.books.keys()]) this.dropBook(symbol);
    this.rest.abortAll();
    await this.connections.stop();
    this.context.setState({ state: 'closed', detail: 'closed' });
  }

  stats(): Record<string, number> {
    let synced = 0;
    for (const entry of this.books.values()) if (entry.sync.view.isSynced) synced += 1;
    return { ...this.connections.stats(), ...this.counters, malformed: this.malformedFrames.count, streams: this.streams.size, books: this.books.size, booksSynced: synced };
  }

  private createBook(sub: UpstreamSubscription): BookEntry {
    const view = new SyncedBook({
      provider: 'binance',
      symbol: sub.symbol,
      onStatus: (state, detail) => this.context.symbolStatus({ symbol: sub.symbol, channel: 'book', state, detail }),
    });
    return { sub, sync: new BinanceDepthSync(view), live: false, fetching: false, retryTimer: null, retryDelayMs: this.tuning.snapshotRetryMs, heldSnapshot: null, quietTimer: null };
  }

  private dropBook(symbol: string): void {
    const entry = this.books.get(symbol);
    if (!entry) return;
    this.books.delete(symbol);
    if (entry.retryTimer !== null) this.context.clock.clearTimeout(entry.retryTimer);
    entry.retryTimer = null;
    this.dropHeldSnapshot(entry);
  }

  private dropHeldSnapshot(entry: BookEntry): void {
    if (entry.quietTimer !== null) this.context.clock.clearTimeout(entry.quietTimer);
    entry.quietTimer = null;
    entry.heldSnapshot = null;
  }

  private onDepth(symbol: string, diff: DepthDiff, receivedAt: number, source: FrameSource): void {
    const entry = this.books.get(symbol);
    if (!entry) return;
    if (this.unverified.size > 0 && this.unverified.delete(symbol)) this.verified.add(symbol);
    const outcome = entry.sync.onDiff(diff, source.multiSource);
    if (outcome === 'applied') this.emitBook(entry, receivedAt);
    else if (outcome === 'gap') this.resync(entry);
    else if (outcome === 'buffered') {
      const held = entry.heldSnapshot;
      this.dropHeldSnapshot(entry);
      if (held) this.applySnapshot(entry, held, false);
      else this.ensureSnapshot(entry);
    }
  }

  private emitBook(entry: BookEntry, receivedAt: number): void {
    const sync = entry.sync;
    const event = sync.view.toEvent(entry.sub.depth, sync.lastEventTime || receivedAt, receivedAt, sync.localId);
    if (event) this.context.emit(event);
    else if (!sync.view.isSynced) {
      sync.restart('crossed book');
      this.resync(entry);
    }
  }

  private resync(entry: BookEntry): void {
    this.counters.resyncs += 1;
    this.dropHeldSnapshot(entry);
    this.ensureSnapshot(entry);
  }

  /** Fetches a snapshot when the book waits for one, its stream is live, and no fetch or retry is pending. */
  private ensureSnapshot(entry: BookEntry): void {
    if (this.stopped || !entry.live || !entry.sync.awaitingSnapshot || entry.fetching || entry.retryTimer !== null) return;
    entry.fetching = true;
    this.counters.snapshots += 1;
    const symbol = entry.sub.symbol;
    this.rest.depth(symbol, snapshotLimit(entry.sub.depth)).then(
      (snapshot) => {
        entry.fetching = false;
        if (this.books.get(symbol) === entry && !this.stopped) this.applySnapshot(entry, snapshot, false);
      },
      (err: unknown) => {
        entry.fetching = false;
        if (this.books.get(symbol) === entry && !this.stopped) this.snapshotFailed(entry, err);
      },
    );
  }

  private applySnapshot(entry: BookEntry, snapshot: DepthSnapshot, force: boolean): void {
    if (this.unverified.delete(entry.sub.symbol)) this.verified.add(entry.sub.symbol);
    const outcome = entry.sync.onSnapshot(snapshot, force);
    if (outcome === 'held') {
      this.dropHeldSnapshot(entry);
      entry.heldSnapshot = snapshot;
      entry.quietTimer = this.context.clock.setTimeout(() => {
        entry.quietTimer = null;
        entry.heldSnapshot = null;
        if (this.books.get(entry.sub.symbol) === entry && entry.live) this.applySnapshot(entry, snapshot, true);
      }, this.tuning.quietSnapshotMs);
    } else if (outcome === 'synced') {
      entry.retryDelayMs = this.tuning.snapshotRetryMs;
      this.emitBook(entry, this.context.clock.now());
    } else if (outcome === 'too-old') {
      this.retrySnapshotLater(entry, `snapshot ${snapshot.lastUpdateId} is older than the buffered events`);
    } else if (outcome === 'gap') {
      this.resync(entry);
    }
  }

  private snapshotFailed(entry: BookEntry, err: unknown): void {
    const symbol = entry.sub.symbol;
    if (err instanceof BinanceRestError && err.body.code === INVALID_SYMBOL) {
      this.rejectSymbol(symbol, err.body);
      return;
    }
    const reason = err instanceof Error ? err.message : String(err);
    this.context.log.warn(`binance: depth snapshot of ${symbol} failed: ${reason}`);
    this.context.error(new MarketError('NETWORK', `Binance: the order-book snapshot of ${symbol} could not be fetched (${reason}); no book until it can, retrying`, { provider: 'binance', symbol, channel: 'book' }));
    this.retrySnapshotLater(entry, reason);
  }

  private retrySnapshotLater(entry: BookEntry, reason: string): void {
    if (entry.retryTimer !== null) return;
    const delay = entry.retryDelayMs;
    entry.retryDelayMs = Math.min(MAX_SNAPSHOT_RETRY_MS, delay * 2);
    this.context.log.debug(`binance: ${entry.sub.symbol} book: ${reason}; next snapshot in ${delay} ms`);
    entry.retryTimer = this.context.clock.setTimeout(() => {
      entry.retryTimer = null;
      this.ensureSnapshot(entry);
    }, delay);
  }

  private onStreamsLive(streams: readonly string[]): void {
    const now = this.context.clock.now();
    for (const name of streams) {
      const sub = this.streams.get(name);
      if (!sub) continue;
      if (!this.verified.has(sub.symbol) && !this.unverified.has(sub.symbol)) this.unverified.set(sub.symbol, now + this.tuning.verifyAfterMs);
      if (sub.channel !== 'book') continue;
      const entry = this.books.get(sub.symbol);
      if (!entry) continue;
      entry.live = true;
      this.ensureSnapshot(entry);
    }
    if (this.unverified.size > 0 && this.verifyTimer === null) {
      const tickMs = Math.max(50, Math.min(1_000, this.tuning.verifyAfterMs / 4));
      this.verifyTimer = this.context.clock.setInterval(() => this.verifySilentSymbols(), tickMs);
    }
  }

  private onStreamsLost(streams: readonly string[], detail: string): void {
    for (const name of streams) {
      const sub = this.streams.get(name);
      const entry = sub?.channel === 'book' ? this.books.get(sub.symbol) : undefined;
      if (!entry) continue;
      entry.live = false;
      entry.sync.restart(`connection lost: ${detail}`);
      this.dropHeldSnapshot(entry);
    }
  }

  private onOverlapEnd(streams: readonly string[]): void {
    const symbols = new Set<string>();
    for (const name of streams) {
      const sub = this.streams.get(name);
      if (sub) symbols.add(sub.symbol);
    }
    this.decoder.flushHeld(symbols);
    for (const symbol of symbols) {
      const entry = this.books.get(symbol);
      if (entry && entry.sync.endOverlap() === 'gap') this.resync(entry);
    }
  }

  private onSubscribeError(streams: readonly string[], error: BinanceErrorBody): void {
    for (const name of streams) {
      const sub = this.streams.get(name);
      if (!sub) continue;
      this.streams.delete(name);
      if (sub.channel === 'book') this.dropBook(sub.symbol);
      this.context.error(
        new MarketError('SUBSCRIPTION', `Binance refused the subscription ${name}: ${error.msg} (code ${error.code})`, { provider: 'binance', symbol: sub.symbol, channel: sub.channel, reason: error.msg }),
      );
    }
  }

  /**
   * Silent symbols past their deadline are looked up together: one exchangeInfo request per
   * `verifyIntervalMs` at most (weight 20 each, far under the 6,000/min IP budget whatever the
   * number of symbols) naming up to `verifySymbolsPerRequest` of them; more than that at once
   * and one request for the whole list answers them all. A list refused with -1121 holds at
   * least one unknown symbol: it is split in halves until the unknown ones stand alone. One
   * summary line when the queue is done, not one per symbol.
   */
  private verifySilentSymbols(): void {
    const now = this.context.clock.now();
    const due: string[] = [];
    for (const [symbol, deadline] of this.unverified) {
      if (deadline > now) continue;
      this.unverified.delete(symbol);
      due.push(symbol);
    }
    if (due.length > this.tuning.verifySymbolsPerRequest) this.verifyQueue.push({ symbols: due, whole: true });
    else if (due.length > 0) this.verifyQueue.push({ symbols: due, whole: false });
    if (due.length > 0) this.verifyRound.symbols += due.length;
    if (this.unverified.size === 0 && this.verifyTimer !== null) {
      this.context.clock.clearInterval(this.verifyTimer);
      this.verifyTimer = null;
    }
    this.nextVerifyRequest();
  }

  private nextVerifyRequest(): void {
    if (this.stopped || this.verifyInFlight || this.verifyPause !== null) return;
    const next = this.verifyQueue.shift();
    if (!next) {
      this.summarizeVerifyRound();
      return;
    }
    const batch = next.symbols.filter((symbol) => this.hasStreamsOf(symbol));
    if (batch.length === 0) {
      this.nextVerifyRequest();
      return;
    }
    this.verifyInFlight = true;
    this.verifyRound.requests += 1;
    const settled = (): void => {
      this.verifyInFlight = false;
      if (this.stopped) return;
      this.verifyPause = this.context.clock.setTimeout(() => {
        this.verifyPause = null;
        this.nextVerifyRequest();
      }, this.tuning.verifyIntervalMs);
    };
    this.rest.exchangeInfo(next.whole ? null : batch).then(
      (listed) => {
        settled();
        if (this.stopped) return;
        for (const symbol of batch) {
          if (!this.hasStreamsOf(symbol)) continue;
          const info = listed.find((entry) => entry.symbol === symbol);
          if (!info) {
            this.verifyRound.unknown.push(symbol);
            this.rejectSymbol(symbol, { code: INVALID_SYMBOL, msg: 'not listed by exchangeInfo' });
            continue;
          }
          this.verified.add(symbol);
          if (info.status !== 'TRADING') {
            this.verifyRound.notTrading += 1;
            this.context.notice({ level: 'warning', code: 'SYMBOL_NOT_TRADING', detail: `Binance lists ${symbol} with status ${info.status}: no data until it trades again` });
          }
        }
      },
      (err: unknown) => {
        settled();
        if (this.stopped) return;
        if (err instanceof BinanceRestError && err.body.code === INVALID_SYMBOL) {
          if (batch.length === 1) {
            const symbol = batch[0] as string;
            if (this.hasStreamsOf(symbol)) {
              this.verifyRound.unknown.push(symbol);
              this.rejectSymbol(symbol, err.body);
            }
          } else {
            const half = Math.ceil(batch.length / 2);
            this.verifyQueue.unshift({ symbols: batch.slice(0, half), whole: false }, { symbols: batch.slice(half), whole: false });
          }
          return;
        }
        this.verifyRound.failed += batch.length;
        this.verifyRound.lastFailure = err instanceof Error ? err.message : String(err);
      },
    );
  }

  private summarizeVerifyRound(): void {
    const round = this.verifyRound;
    if (round.requests === 0) return;
    const unknown = round.unknown.length === 0 ? 'none unknown' : `${round.unknown.length} unknown (${round.unknown.slice(0, 10).join(', ')}${round.unknown.length > 10 ? ', …' : ''})`;
    const parts = [unknown];
    if (round.notTrading > 0) parts.push(`${round.notTrading} not trading`);
    if (round.failed > 0) parts.push(`${round.failed} not checked: ${round.lastFailure}`);
    const line = `binance: looked up ${round.symbols} silent symbol${round.symbols === 1 ? '' : 's'} with ${round.requests} exchangeInfo request${round.requests === 1 ? '' : 's'}: ${parts.join('; ')}`;
    if (round.failed > 0) this.context.log.warn(line);
    else this.context.log.info(line);
    this.verifyRound = newVerifyRound();
  }

  /** Binance does not know the symbol: tell its nodes in Binance's words, and stop asking for its streams. */
  private rejectSymbol(symbol: string, error: BinanceErrorBody): void {
    this.counters.unknownSymbols += 1;
    const names = [...this.streams].filter(([, sub]) => sub.symbol === symbol).map(([name]) => name);
    const channels = [...new Set(names.map((name) => (this.streams.get(name) as UpstreamSubscription).channel))];
    for (const name of names) this.streams.delete(name);
    this.dropBook(symbol);
    this.forgetSymbol(symbol);
    this.connections.remove(names);
    const detail: { provider: string; symbol: string; reason: string; channel?: Channel } = { provider: 'binance', symbol, reason: error.msg };
    if (channels.length === 1) detail.channel = channels[0] as Channel;
    this.context.error(new MarketError('SUBSCRIPTION', `Binance: unknown symbol ${symbol} (Binance says: "${error.msg}"); check the spelling, e.g. BTCUSDT`, detail));
  }

  private onMalformed(reason: string): void {
    this.malformedFrames.report(reason);
  }

  private hasStreamsOf(symbol: string): boolean {
    for (const sub of this.streams.values()) if (sub.symbol === symbol) return true;
    return false;
  }

  private forgetSymbol(symbol: string): void {
    this.unverified.delete(symbol);
    this.verified.delete(symbol);
    this.decoder.forget(symbol);
  }
}

interface VerifyRound {
  symbols: number;
  requests: number;
  unknown: string[];
  notTrading: number;
  failed: number;
  lastFailure: string;
}

function newVerifyRound(): VerifyRound {
  return { symbols: 0, requests: 0, unknown: [], notTrading: 0, failed: 0, lastFailure: '' };
}
