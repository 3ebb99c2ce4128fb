import assert from 'node:assert/strict';
import type { CandleEvent, QuoteEvent, TradeEvent } from '../../../src/model/events';
import { OrderBook } from '../../../src/book/order-book';
import { createKrakenProvider, type KrakenTuning } from '../../../src/providers/kraken';
import { canonicalKrakenSymbol, krakenBookDepth, krakenUrl } from '../../../src/providers/kraken/settings';
import { krakenChecksum, parseKeepingNumberText } from '../../../src/providers/kraken/decode';
import type { ProviderSettings } from '../../../src/model/provider';
import { FakeKraken, type FakeKrakenOptions } from '../../fakes/kraken/server';
import { krakenSampleLines } from '../../fakes/kraken/samples';
import { seededRandom } from '../../fakes/binance/market';
import { bookProblem, openHarness, settingsFor, settle, symbolStates, until, within, type Harness } from './harness';

interface WireLevel {
  price: string;
  qty: string;
}
interface WireBook {
  data: Array<{ bids: WireLevel[]; asks: WireLevel[]; checksum: string }>;
}

const ETH_SNAPSHOT = {
  bids: [[1797.24, 0.43393711], [1797.18, 139.10616255], [1797.13, 139.10995927], [1797.12, 0.8038647], [1797.07, 139.11517673], [1796.98, 5.22282896], [1796.97, 12.17138476], [1796.95, 139.69390939], [1796.88, 4.2187], [1796.85, 1.22932317]],
  asks: [[1797.25, 1.40355852], [1797.28, 10.824], [1797.29, 139.09899871], [1797.3, 139.09783403], [1797.37, 139.09216827], [1797.41, 5.24638952], [1797.42, 0.0178033], [1797.46, 33.057], [1797.48, 3.11556555], [1797.49, 139.49306646]],
};
// The recorded update deletes 1797.29 and inserts 1797.52; the ask side stays cut at 10 levels.
const ETH_ASKS_AFTER_UPDATE = [[1797.25, 1.40355852], [1797.28, 10.824], [1797.3, 139.09783403], [1797.37, 139.09216827], [1797.41, 5.24638952], [1797.42, 0.0178033], [1797.46, 33.057], [1797.48, 3.11556555], [1797.49, 139.49306646], [1797.52, 1.56601318]];

function applyWire(book: OrderBook, frame: WireBook, depth: number): number {
  const entry = frame.data[0]!;
  for (const level of entry.bids) book.bids.setText(level.price, level.qty);
  for (const level of entry.asks) book.asks.setText(level.price, level.qty);
  book.bids.truncate(depth);
  book.asks.truncate(depth);
  return Number(entry.checksum);
}

describe('kraken: wire text and checksum', () => {
  const lines = krakenSampleLines();

  it('keeps every number\'s wire text: trailing zeros, and integers beyond 2^53', () => {
    assert.deepEqual(parseKeepingNumberText('{"qty":0.80386470,"x":-1.5e-7,"s":"a 1.0 \\" 2","ok":true,"n":null}'), JSON.parse('{"qty":"0.80386470","x":"-1.5e-7","s":"a 1.0 \\" 2","ok":true,"n":null}'));
    const status = parseKeepingNumberText(lines[3]!) as { data: Array<{ connection_id: string }> };
    assert.equal(status.data[0]!.connection_id, '18125794168470749634', 'not rounded to a double');
  });

  it('golden: the checksum computed from the recorded snapshot and update equals the recorded one', () => {
    const book = new OrderBook({ keepText: true });
    const snapshotChecksum = applyWire(book, parseKeepingNumberText(lines[1]!) as WireBook, 10);
    assert.equal(snapshotChecksum, 2606672715);
    assert.equal(krakenChecksum(book.asks, book.bids), 2606672715);
    const updateChecksum = applyWire(book, parseKeepingNumberText(lines[2]!) as WireBook, 10);
    assert.equal(updateChecksum, 3329440863);
    assert.equal(krakenChecksum(book.asks, book.bids), 3329440863);
    assert.deepEqual(book.asks.top(10), ETH_ASKS_AFTER_UPDATE);
  });

  it('would not match if the numbers went through a double first (why the wire text is kept)', () => {
    const book = new OrderBook({ keepText: true });
    for (const line of lines.slice(1, 3)) {
      const frame = JSON.parse(line) as { data: Array<{ bids: Array<{ price: number; qty: number }>; asks: Array<{ price: number; qty: number }> }> };
      for (const level of frame.data[0]!.bids) book.bids.setText(String(level.price), String(level.qty));
      for (const level of frame.data[0]!.asks) book.asks.setText(String(level.price), String(level.qty));
      book.asks.truncate(10);
    }
    assert.equal(krakenChecksum(book.asks, book.bids), 1322826089, 'the value kraken.md computed for re-printed doubles');
  });
});

describe('kraken: configuration', () => {
  it('takes v2 pair names and says how to write the others', () => {
    assert.equal(canonicalKrakenSymbol(' btc/usd '), 'BTC/USD');
    assert.throws(() => canonicalKrakenSymbol('BTC-USD'), /write it BTC\/USD/);
    assert.throws(() => canonicalKrakenSymbol('BTCUSD'), /write base\/quote, e\.g\. BTC\/USD/);
  });

  it('picks the smallest book depth Kraken offers that holds the levels asked for, and the feed\'s endpoint', () => {
    assert.deepEqual([1, 10, 11, 25, 26, 400, 1000].map(krakenBookDepth), [10, 10, 25, 25, 100, 500, 1000]);
    assert.equal(krakenUrl(settingsFor('kraken')), 'wss://ws.kraken.com/v2');
    assert.equal(krakenUrl(settingsFor('kraken', { feed: 'beta' })), 'wss://beta-ws.kraken.com/v2');
    assert.match(createKrakenProvider().validateSettings(settingsFor('kraken', { feed: 'v1' }))!, /feed must be one of production, beta/);
  });
});

describe('kraken provider against the local fake', function () {
  this.timeout(30_000);
  let fake: FakeKraken;
  let h: Harness;

  const FAST: Partial<KrakenTuning> = { backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, messagesPerSecond: Number.POSITIVE_INFINITY };

  async function start(fakeOptions: FakeKrakenOptions = {}, tuning: Partial<KrakenTuning> = {}, extra: Partial<ProviderSettings> = {}): Promise<void> {
    fake = await FakeKraken.start(fakeOptions);
    h = openHarness(createKrakenProvider({ ...FAST, ...tuning }), settingsFor('kraken', { endpoint: fake.url, ...extra }));
  }

  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  const requests = (): Array<Record<string, unknown>> => fake.connections.flatMap((c) => c.received);

  it('golden: the recorded book frames, refusals, ticker, trade and ohlc become the expected events', async () => {
    await start({ silent: true });
    h.subscribe([
      { channel: 'book', symbol: 'ETH/USD', depth: 10 },
      { channel: 'quote', symbol: 'BTC/USD' },
      { channel: 'trade', symbol: 'BTC/USD' },
      { channel: 'candle', symbol: 'BTC/USD', interval: '1m' },
      { channel: 'trade', symbol: 'XBT/USD' },
    ]);
    await until(() => requests().length === 4, 'subscribe requests');
    const lines = krakenSampleLines();
    for (const line of lines) fake.broadcast(line);
    await until(() => h.events.length === 5 && h.errors.length === 2, 'every recorded frame handled');
    const [snapshot, update] = h.books('ETH/USD');
    assert.deepEqual({ bids: snapshot!.bids, asks: snapshot!.asks }, ETH_SNAPSHOT);
    assert.equal(snapshot!.ts, snapshot!.receivedAt, 'the recorded snapshot has no timestamp');
    assert.deepEqual({ bids: update!.bids, asks: update!.asks, ts: update!.ts }, { bids: ETH_SNAPSHOT.bids, asks: ETH_ASKS_AFTER_UPDATE, ts: 1746523046208 });
    assert.equal(update!.seq, undefined, 'Kraken v2 books have no sequence number');
    const quote = h.events.find((e): e is QuoteEvent => e.type === 'quote')!;
    assert.deepEqual({ ...quote, receivedAt: 0 }, { type: 'quote', provider: 'kraken', symbol: 'BTC/USD', ts: 1790358506844, receivedAt: 0, bid: 83744.2, bidSize: 0.56251979, ask: 83744.3, askSize: 0.0004478 });
    const trade = h.events.find((e): e is TradeEvent => e.type === 'trade')!;
    assert.deepEqual({ ...trade, receivedAt: 0 }, { type: 'trade', provider: 'kraken', symbol: 'BTC/USD', ts: 1790358506844, receivedAt: 0, price: 83744.3, size: 0.0004478, side: 'buy', id: '109116693' });
    const candle = h.events.find((e): e is CandleEvent => e.type === 'candle')!;
    assert.deepEqual({ ...candle, receivedAt: 0 }, {
      type: 'candle', provider: 'kraken', symbol: 'BTC/USD', ts: 1790358506844, receivedAt: 0, interval: '1m',
      start: 1790358480000, end: 1790358540000, open: 83729.5, high: 83745.2, low: 83729.4, close: 83744.3, volume: 0.21155628, closed: false,
    });
    const [xbt, privateHost] = h.errors;
    assert.equal(xbt!.symbol, 'XBT/USD');
    assert.equal(xbt!.reason, 'Currency pair not supported XBT/USD');
    assert.match(xbt!.message, /Kraken refused XBT\/USD: "Currency pair not supported XBT\/USD"; v2 names use ISO codes, e\.g\. BTC\/USD/);
    assert.equal(privateHost!.symbol, undefined);
    assert.match(privateHost!.message, /Private data and trading are unavailable on this endpoint/);
  });

  it('subscribes one request per channel with the symbols in an array, and streams quotes, trades and candles', async () => {
    await start();
    fake.list('BTC/USD', 1, 8);
    fake.list('ETH/USD');
    h.subscribe([
      ...['BTC/USD', 'ETH/USD'].flatMap((symbol) => [{ channel: 'quote' as const, symbol }, { channel: 'trade' as const, symbol }, { channel: 'candle' as const, symbol, interval: '5m' }]),
      { channel: 'book', symbol: 'ETH/USD', depth: 20 },
    ]);
    await until(() => h.books('ETH/USD').length === 1, 'book snapshot');
    assert.deepEqual(requests().map((r) => r.params), [
      { channel: 'ticker', symbol: ['BTC/USD', 'ETH/USD'], event_trigger: 'bbo' },
      { channel: 'trade', symbol: ['BTC/USD', 'ETH/USD'] },
      { channel: 'ohlc', symbol: ['BTC/USD', 'ETH/USD'], interval: 5 },
      { channel: 'book', symbol: ['ETH/USD'], depth: 25 },
    ]);
    assert.equal(h.books('ETH/USD')[0]!.bids.length, 20, 'the 20 levels asked for, from a depth-25 subscription');
    const id = fake.trade('BTC/USD');
    const begin = Date.UTC(2026, 0, 2, 10, 0);
    fake.ohlc('ETH/USD', 5, begin, '1800.10');
    fake.ohlc('ETH/USD', 5, begin + 300_000, '1801.00');
    await until(() => h.events.filter((e) => e.type === 'trade' || e.type === 'quote').length === 2 && h.events.filter((e) => e.type === 'candle').length === 3, 'events');
    const trade = h.events.find((e): e is TradeEvent => e.type === 'trade')!;
    assert.equal(trade.id, String(id));
    assert.ok(trade.side === 'buy' || trade.side === 'sell');
    const candles = h.events.filter((e): e is CandleEvent => e.type === 'candle').map((c) => [c.start - begin, c.close, c.closed]);
    assert.deepEqual(candles, [[0, 1800.1, false], [0, 1800.1, true], [300_000, 1801, false]]);
  });

  it('resyncs a book whose checksum fails: resyncing, one unsubscribe and subscribe, synced, equal to the true book', async () => {
    await start();
    fake.list('ETH/USD');
    h.subscribe([{ channel: 'book', symbol: 'ETH/USD', depth: 10 }]);
    await until(() => h.books().length === 1, 'snapshot');
    fake.corruptNextChecksum('ETH/USD');
    fake.bookStep('ETH/USD', 2);
    await until(() => symbolStates(h.statuses, 'ETH/USD').length === 2, 'resynced');
    assert.deepEqual(symbolStates(h.statuses, 'ETH/USD'), ['resyncing', 'synced']);
    assert.match(h.statuses.find((s) => s.state === 'resyncing')!.detail, /checksum mismatch: Kraken says \d+, the book gives \d+/);
    assert.deepEqual(requests().map((r) => `${String(r.method)} ${String((r.params as { depth: number }).depth)}`), ['subscribe 10', 'unsubscribe 10', 'subscribe 10']);
    assert.equal(h.books().length, 2, 'nothing emitted between the bad update and the fresh snapshot');
    const last = h.lastBook()!;
    const pair = fake.pair('ETH/USD');
    assert.deepEqual({ bids: last.bids, asks: last.asks }, pair.numbers(pair.view(10)));
  });

  it('asks again when the snapshot never comes (lost or unreadable), and syncs from the next one', async () => {
    await start({}, { snapshotTimeoutMs: 150 });
    fake.list('ETH/USD');
    fake.faults.rewriteNext((text) => text.includes('"channel":"book","type":"snapshot"'), () => null);
    h.subscribe([{ channel: 'book', symbol: 'ETH/USD', depth: 10 }]);
    await until(() => fake.faults.pendingRewrites === 0, 'the first snapshot swallowed');
    fake.bookStep('ETH/USD', 2); // updates of a book the client never had: not applied
    await until(() => h.books().length === 1, 'a book from the second snapshot', 3_000);
    assert.deepEqual(requests().map((r) => String(r.method)), ['subscribe', 'unsubscribe', 'subscribe']);
    const pair = fake.pair('ETH/USD');
    assert.deepEqual({ bids: h.lastBook()!.bids, asks: h.lastBook()!.asks }, pair.numbers(pair.view(10)));
  });

  it('reports an unknown pair with Kraken\'s words to that pair only; the others keep streaming', async () => {
    await start();
    fake.list('BTC/USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC/USD' }, { channel: 'trade', symbol: 'NOPE/USD' }]);
    await until(() => h.errors.length === 1, 'the refusal');
    assert.equal(h.errors[0]!.symbol, 'NOPE/USD');
    assert.equal(h.errors[0]!.channel, 'trade');
    assert.equal(h.errors[0]!.reason, 'Currency pair not supported NOPE/USD');
    fake.trade('BTC/USD');
    fake.trade('BTC/USD');
    await until(() => h.events.length === 2, 'BTC/USD streams');
  });

  it('skips a garbage frame with a PROTOCOL error and keeps streaming', async () => {
    await start();
    fake.list('BTC/USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC/USD' }]);
    await until(() => fake.openConnections[0]?.channels.get('trade')?.has('BTC/USD') === true, 'subscribed');
    fake.broadcast('{"channel":"trade","type":"update","data":[');
    fake.trade('BTC/USD');
    await until(() => h.events.length === 1, 'the next trade');
    assert.deepEqual(h.errors.map((e) => [e.code, e.message]), [['PROTOCOL', 'Kraken sent a frame that is not JSON; it was skipped']]);
  });

  it('pings now and then, and reconnects when the feed stalls', async () => {
    await start({ heartbeatMs: 50 }, { pingIntervalMs: 60, staleAfterMs: 300 });
    fake.list('BTC/USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC/USD' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    await settle(200);
    assert.ok(requests().filter((r) => r.method === 'ping').length >= 2, 'pings sent');
    assert.equal(h.session.status.state, 'connected', 'heartbeats keep the feed alive');
    fake.stalled = true;
    await until(() => h.statuses.some((s) => s.state === 'stale'), 'stale');
    fake.stalled = false;
    await until(() => fake.connections.length === 2 && h.session.status.state === 'connected', 'reconnected');
    await until(() => fake.openConnections[0]!.channels.get('trade')?.has('BTC/USD') ?? false, 'resubscribed');
  });

  it('keeps the emitted book equal to the true book through thousands of random checksum faults, lost updates and drops', async function () {
    this.timeout(60_000);
    await start();
    fake.list('ETH/USD');
    h.subscribe([{ channel: 'book', symbol: 'ETH/USD', depth: 10 }]);
    await until(() => h.books().length === 1, 'snapshot');
    const random = seededRandom(4242);
    const counts = { checksum: 0, lost: 0, level: 0, drop: 0 };
    const rounds = 2_000;
    for (let round = 0; round < rounds; round++) {
      const draw = random();
      if (draw < 0.33) {
        counts.checksum += 1;
        fake.corruptNextChecksum('ETH/USD');
      } else if (draw < 0.66) {
        counts.lost += 1;
        fake.loseNextUpdate('ETH/USD');
      } else if (draw < 0.99) {
        counts.level += 1;
        fake.corruptNextLevel('ETH/USD');
      } else {
        counts.drop += 1;
        fake.dropAll();
        await until(() => fake.openConnections.length === 1 && fake.openConnections[0]!.books.has('ETH/USD'), 'resubscribed');
      }
      for (let i = 0, n = 2 + Math.floor(random() * 3); i < n; i++) fake.bookStep('ETH/USD');
      // Settled when the newest book equals the true book now. A lost update is only noticed
      // when a later one reaches the client, so the market moves on until it does.
      const pair = fake.pair('ETH/USD');
      for (let attempt = 0; ; attempt++) {
        const truth = JSON.stringify(pair.numbers(pair.view(10)));
        const last = (): string => JSON.stringify({ bids: h.lastBook()!.bids, asks: h.lastBook()!.asks });
        if (await within(() => last() === truth, 15)) break;
        assert.ok(attempt < 50, `round ${round}: the book never came back to the true book`);
        fake.bookStep('ETH/USD');
      }
    }
    for (const book of h.books()) {
      assert.equal(bookProblem(book), null, `book at ${book.ts}`);
      const truth = fake.bookHistory.get(`ETH/USD@${book.ts}`);
      assert.ok(truth, `book at ${book.ts} comes from a book message`);
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 10), asks: truth.asks.slice(0, 10) }, `book at ${book.ts} equals the true book`);
    }
    const faults = counts.checksum + counts.lost + counts.level + counts.drop;
    assert.equal(faults, rounds);
    const resyncs = symbolStates(h.statuses, 'ETH/USD').filter((s) => s === 'resyncing').length;
    const bookSubscribes = fake.connections.flatMap((c) => c.received).filter((r) => r.method === 'subscribe').length;
    assert.ok(resyncs >= counts.checksum + counts.level, `${resyncs} resyncs: every corrupted checksum or level is caught`);
    assert.equal(bookSubscribes, 1 + resyncs, 'one resubscribe per resync');
    assert.ok(resyncs <= faults, 'never more than one resync per fault');
  });
});
