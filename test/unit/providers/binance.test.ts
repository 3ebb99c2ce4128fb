import assert from 'node:assert/strict';
import type { CandleEvent, MarketEvent, QuoteEvent, TradeEvent } from '../../../src/model/events';
import { SyncedBook } from '../../../src/book/synced-book';
import { createBinanceProvider, type BinanceTuning } from '../../../src/providers/binance';
import { BinanceDecoder, SINGLE_SOURCE, type BinanceErrorBody, type DepthDiff } from '../../../src/providers/binance/decode';
import { BinanceDepthSync, type DepthSnapshot } from '../../../src/providers/binance/book';
import { binanceStreamUrl, canonicalBinanceSymbol, parseBinanceOptions, streamName } from '../../../src/providers/binance/settings';
import type { ProviderSettings } from '../../../src/model/provider';
import { FakeBinance, type FakeBinanceOptions } from '../../fakes/binance/server';
import { seededRandom } from '../../fakes/binance/market';
import { binanceSampleLines, binanceSnapshotText } from '../../fakes/binance/samples';
import { bookProblem, openHarness, settingsFor, settle, symbolStates, until, type Harness } from './harness';
import { activeHandles } from '../../helpers/wait';

const RECEIVED_AT = 1_700_000_000_000;

interface Decoded {
  events: MarketEvent[];
  depth: Array<{ symbol: string; diff: DepthDiff }>;
  replies: Array<{ id: number | null; error: BinanceErrorBody | null; result: unknown }>;
  shutdowns: number;
  malformed: string[];
}

function decodeAll(lines: string[], options: ConstructorParameters<typeof BinanceDecoder>[1] = {}, multiSource = false): Decoded {
  const out: Decoded = { events: [], depth: [], replies: [], shutdowns: 0, malformed: [] };
  const decoder = new BinanceDecoder(
    {
      event: (event) => out.events.push(event),
      depth: (symbol, diff) => out.depth.push({ symbol, diff }),
      reply: (id, error, result) => out.replies.push({ id, error, result }),
      shutdown: () => (out.shutdowns += 1),
      malformed: (reason) => out.malformed.push(reason),
    },
    options,
  );
  for (const line of lines) decoder.decode(line, RECEIVED_AT, multiSource ? { multiSource: true } : SINGLE_SOURCE);
  return out;
}

const diffsOf = (lines: string[]): DepthDiff[] => decodeAll(lines).depth.map((d) => d.diff);
const snapshot = (): DepthSnapshot => JSON.parse(binanceSnapshotText()) as DepthSnapshot;
const newSync = (statuses: string[] = []): BinanceDepthSync =>
  new BinanceDepthSync(new SyncedBook({ provider: 'binance', symbol: 'NKNUSDT', onStatus: (state) => statuses.push(state) }));

// Worked out by hand from the recorded snapshot (lastUpdateId 499869752) and diff lines 2–12.
const NKN_TOP5_AFTER_775 = {
  bids: [[0.3521, 672], [0.352, 1290], [0.3519, 3260], [0.3518, 3631], [0.3517, 4265]],
  asks: [[0.3525, 1123], [0.3526, 3199], [0.3527, 4201], [0.3528, 7231], [0.3529, 10968]],
};

describe('binance: decoding the recorded frames', () => {
  const lines = binanceSampleLines();

  it('turns bookTicker, kline and aggTrade frames into normalized events with the recorded values', () => {
    const { events, malformed } = decodeAll(lines.slice(12, 19), { tradeStream: 'aggTrade' });
    assert.deepEqual(malformed, []);
    const [quote1, quote2, quote3, kline1, kline2, agg1, agg2] = events as [QuoteEvent, QuoteEvent, QuoteEvent, CandleEvent, CandleEvent, TradeEvent, TradeEvent];
    assert.deepEqual(quote1, { type: 'quote', provider: 'binance', symbol: 'NKNUSDT', ts: RECEIVED_AT, receivedAt: RECEIVED_AT, bid: 0.3521, bidSize: 672, ask: 0.3526, askSize: 3199 });
    assert.deepEqual([quote2.ask, quote2.askSize, quote3.ask, quote3.askSize], [0.3525, 1123, 0.3524, 3959]);
    assert.deepEqual(kline1, {
      type: 'candle', provider: 'binance', symbol: 'NKNUSDT', ts: 1633998523963, receivedAt: RECEIVED_AT, interval: '1m',
      start: 1633998480000, end: 1633998540000, open: 0.3527, high: 0.3528, low: 0.3522, close: 0.3528, volume: 25877, closed: false,
    });
    assert.deepEqual([kline2.symbol, kline2.open, kline2.close, kline2.volume], ['LRCBTC', 0.00000638, 0.00000638, 177]);
    assert.deepEqual(agg1, { type: 'trade', provider: 'binance', symbol: 'NKNUSDT', ts: 1633998523963, receivedAt: RECEIVED_AT, price: 0.3528, size: 58, side: 'buy', id: '15683430' });
    assert.deepEqual([agg2.symbol, agg2.price, agg2.size, agg2.side, agg2.id], ['LRCBTC', 0.00000638, 177, 'buy', '9213679']);
    assert.equal(events.length, 7);
  });

  it('hands every depth frame to the book with its update ids, for each symbol on the connection', () => {
    const { depth } = decodeAll(lines);
    assert.deepEqual(depth.map((d) => `${d.symbol} ${d.diff.firstId}-${d.diff.finalId}`), [
      'NKNUSDT 499869750-499869752', 'NKNUSDT 499869753-499869754', 'NKNUSDT 499869755-499869757', 'NKNUSDT 499869758-499869759',
      'NKNUSDT 499869760-499869760', 'NKNUSDT 499869761-499869764', 'NKNUSDT 499869765-499869767', 'NKNUSDT 499869768-499869769',
      'NKNUSDT 499869770-499869770', 'NKNUSDT 499869771-499869771', 'NKNUSDT 499869772-499869772', 'NKNUSDT 499869773-499869775',
      'RUNEEUR 15602510-15602511', 'RUNEEUR 15602512-15602513',
    ]);
    assert.deepEqual(depth[12]!.diff.bids, [['6.24800000', '91.40000000'], ['6.08400000', '0.00000000']]);
    assert.equal(depth[0]!.diff.eventTime, 1633998512068);
  });

  it('reads the documented trade frame: m=true means the buyer made the market, so the taker sold', () => {
    const doc = '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}';
    const { events } = decodeAll([doc, lines[17]!]);
    assert.deepEqual(events, [{ type: 'trade', provider: 'binance', symbol: 'BNBBTC', ts: 1672515782136, receivedAt: RECEIVED_AT, price: 0.001, size: 100, side: 'sell', id: '12345' }]);
  });

  it('converts microsecond times (timeUnit=MICROSECOND) back to epoch milliseconds', () => {
    const trade = '{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782136123,"s":"BNBBTC","t":7,"p":"0.001","q":"1","T":1672515782136456,"m":false,"M":true}}';
    const kline = '{"e":"kline","E":1672515782136000,"s":"BNBBTC","k":{"t":1672515780000000,"T":1672515839999999,"s":"BNBBTC","i":"1m","f":1,"L":2,"o":"1","c":"2","h":"3","l":"0.5","v":"10","n":2,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}';
    const { events } = decodeAll([trade, kline], { microseconds: true });
    assert.equal((events[0] as TradeEvent).ts, 1672515782136.456);
    const candle = events[1] as CandleEvent;
    assert.deepEqual([candle.start, candle.end, candle.ts, candle.closed], [1672515780000, 1672515840000, 1672515782136, true]);
  });

  it('shows an empty book side as absent, never as a zero quote', () => {
    const { events } = decodeAll(['{"u":5,"s":"ABCUSDT","b":"0.00000000","B":"0.00000000","a":"2.50000000","A":"3.00000000"}']);
    assert.deepEqual([(events[0] as QuoteEvent).bid, (events[0] as QuoteEvent).bidSize, (events[0] as QuoteEvent).ask], [null, null, 2.5]);
  });

  it('routes answers, error frames and serverShutdown, and reports garbage without throwing', () => {
    const out = decodeAll([
      '{"result":null,"id":1}',
      '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2}',
      '{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}',
      '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}',
      '{"e":"serverShutdown","E":1770123456789}',
      'not json at all',
      '[1,2]',
    ]);
    assert.deepEqual(out.replies, [
      { id: 1, error: null, result: null },
      { id: 2, error: { code: 2, msg: 'Invalid request: invalid stream' }, result: undefined },
      { id: null, error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, result: undefined },
    ]);
    assert.equal(out.shutdowns, 2);
    assert.equal(out.malformed.length, 2);
    assert.equal(out.events.length, 0);
  });

  it('puts trades from two connections back in id order, without repeats, during a hand-over', () => {
    const frame = (id: number): string => `{"e":"trade","E":1,"s":"BTCUSDT","t":${id},"p":"1.0","q":"1","T":1,"m":false,"M":true}`;
    // Old connection delivers 100, 101; the new one overtakes with 103, 104; the old one catches up with 102, 103, 104, 105.
    const order = [100, 101, 103, 104, 102, 103, 104, 105, 105, 106];
    const { events } = decodeAll(order.map(frame), {}, true);
    assert.deepEqual(events.map((e) => (e as TradeEvent).id), ['100', '101', '102', '103', '104', '105', '106']);
  });
});

describe('binance: the documented order-book rules on the recorded data', () => {
  const lines = binanceSampleLines();
  const nkn = lines.slice(0, 12);

  it('drops the first diff against the snapshot and chains the rest (snapshot first)', () => {
    const sync = newSync();
    const diffs = diffsOf(nkn);
    assert.equal(sync.onSnapshot(snapshot(), true), 'synced');
    assert.equal(sync.localId, 499869752);
    const outcomes = diffs.map((diff) => sync.onDiff(diff, false));
    assert.deepEqual(outcomes, ['stale', ...Array(11).fill('applied')]);
    assert.equal(sync.localId, 499869775);
    assert.deepEqual(sync.view.book.bids.top(5), NKN_TOP5_AFTER_775.bids);
    assert.deepEqual(sync.view.book.asks.top(5), NKN_TOP5_AFTER_775.asks);
  });

  it('drops the first diff against the snapshot and chains the rest (events buffered before the snapshot)', () => {
    const sync = newSync();
    for (const diff of diffsOf(nkn)) assert.equal(sync.onDiff(diff, false), 'buffered');
    assert.equal(sync.onSnapshot(snapshot()), 'synced');
    assert.equal(sync.localId, 499869775);
    assert.deepEqual(sync.view.book.bids.top(5), NKN_TOP5_AFTER_775.bids);
    assert.deepEqual(sync.view.book.asks.top(5), NKN_TOP5_AFTER_775.asks);
    assert.equal(sync.view.book.bids.length, 609 + 1, 'the snapshot\'s 609 bid levels and 0.3517, added by the diffs');
  });

  it('agrees with the recorded bookTicker at update 499869769 (an independent stream)', () => {
    const sync = newSync();
    sync.onSnapshot(snapshot(), true);
    for (const diff of diffsOf(nkn.slice(0, 8))) sync.onDiff(diff, false);
    assert.equal(sync.localId, 499869769);
    const ticker = JSON.parse(lines[13]!) as { data: { u: number; b: string; B: string; a: string; A: string } };
    assert.equal(ticker.data.u, 499869769);
    assert.deepEqual(sync.view.book.bids.top(1)[0], [Number(ticker.data.b), Number(ticker.data.B)]);
    assert.deepEqual(sync.view.book.asks.top(1)[0], [Number(ticker.data.a), Number(ticker.data.A)]);
  });

  it('refuses a snapshot older than the first buffered event, and waits for an event before judging one', () => {
    const sync = newSync();
    const diffs = diffsOf(nkn);
    assert.equal(sync.onSnapshot(snapshot()), 'held', 'no event buffered yet: the snapshot cannot be judged');
    sync.onDiff(diffs[3]!, false); // U=499869758: the snapshot (…752) is older
    assert.equal(sync.onSnapshot(snapshot()), 'too-old');
    assert.equal(sync.awaitingSnapshot, true);
  });

  it('treats U > local id + 1 as a gap: the book is dropped and resyncing reported once', () => {
    const statuses: string[] = [];
    const sync = newSync(statuses);
    const diffs = diffsOf(nkn);
    sync.onSnapshot(snapshot(), true);
    sync.onDiff(diffs[1]!, false);
    assert.equal(sync.onDiff(diffs[3]!, false), 'gap', 'ids 499869755…757 missing');
    assert.equal(sync.view.isSynced, false);
    assert.equal(sync.view.book.bids.length, 0, 'levels dropped');
    assert.equal(sync.onDiff(diffs[4]!, false), 'buffered');
    assert.deepEqual(statuses, ['resyncing']);
  });

  it('holds an event ahead of the chain while two connections feed the book, and applies it once the chain reaches it', () => {
    const sync = newSync();
    const diffs = diffsOf(nkn);
    sync.onSnapshot(snapshot(), true);
    assert.equal(sync.onDiff(diffs[1]!, true), 'applied');
    assert.equal(sync.onDiff(diffs[3]!, true), 'held');
    assert.equal(sync.onDiff(diffs[2]!, true), 'applied');
    assert.equal(sync.localId, 499869759, 'the held event was applied after its predecessor');
    assert.equal(sync.onDiff(diffs[3]!, true), 'stale', 'the copy from the other connection');
    assert.equal(sync.onDiff(diffs[5]!, true), 'held');
    assert.equal(sync.endOverlap(), 'gap', 'one connection left and 499869760 never came');
  });
});

describe('binance: configuration', () => {
  const settings = (extra: Partial<ProviderSettings> = {}): ProviderSettings => settingsFor('binance', extra);

  it('upper-cases symbols and explains the notation when a separator is used', () => {
    assert.equal(canonicalBinanceSymbol(' btcusdt '), 'BTCUSDT');
    assert.throws(() => canonicalBinanceSymbol('BTC/USDT'), /without a separator, e\.g\. BTCUSDT/);
    assert.throws(() => canonicalBinanceSymbol('X'), /not a Binance symbol/);
  });

  it('maps channels to stream names (lower-case symbol, camelCase type)', () => {
    const names = (['quote', 'trade', 'candle', 'book'] as const).map((channel) => streamName({ channel, symbol: 'BTCUSDT', interval: '1M' }, 'trade'));
    assert.deepEqual(names, ['btcusdt@bookTicker', 'btcusdt@trade', 'btcusdt@kline_1M', 'btcusdt@depth@100ms']);
    assert.equal(streamName({ channel: 'trade', symbol: 'BTCUSDT' }, 'aggTrade'), 'btcusdt@aggTrade');
  });

  it('selects live, data-only, testnet and demo endpoints, and adds timeUnit', () => {
    const options = parseBinanceOptions({});
    assert.equal(binanceStreamUrl(settings(), options), 'wss://stream.binance.com:9443/stream');
    assert.equal(binanceStreamUrl(settings({ feed: 'testnet' }), options), 'wss://stream.testnet.binance.vision/stream');
    assert.equal(binanceStreamUrl(settings({ feed: 'demo' }), options), 'wss://demo-stream.binance.com/stream');
    assert.equal(binanceStreamUrl(settings({ feed: 'data-only' }), options), 'wss://data-stream.binance.vision/stream');
    assert.equal(binanceStreamUrl(settings({ endpoint: 'ws://127.0.0.1:9' }), parseBinanceOptions({ timeUnit: 'microsecond' })), 'ws://127.0.0.1:9/stream?timeUnit=MICROSECOND');
  });

  it('validates settings with messages that say what to fix', () => {
    const provider = createBinanceProvider();
    assert.equal(provider.validateSettings(settings()), null);
    assert.match(provider.validateSettings(settings({ feed: 'moon' }))!, /feed must be one of live, data-only, testnet, demo/);
    assert.match(provider.validateSettings(settings({ options: { tradeStream: 'all' } }))!, /tradeStream must be "trade" or "aggTrade"/);
    assert.match(provider.validateSettings(settings({ endpoint: 'http://x' }))!, /endpoint must start with ws: or wss:/);
    assert.match(provider.validateSettings(settings({ restEndpoint: 'nope' }))!, /REST endpoint "nope" is not a URL/);
  });
});

describe('binance provider against the local fake', function () {
  this.timeout(30_000);
  let fake: FakeBinance;
  let h: Harness;

  // The fake enforces no REST weight: the fast runs resync thousands of books, far past a real minute's budget.
  const FAST: Partial<BinanceTuning> = { backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, snapshotRetryMs: 1, quietSnapshotMs: 200, verifyAfterMs: 300, restWeightPerMinute: 1_000_000 };

  async function start(tuning: Partial<BinanceTuning> = {}, fakeOptions: FakeBinanceOptions = {}, extra: Partial<ProviderSettings> = {}): Promise<void> {
    fake = await FakeBinance.start(fakeOptions);
    h = openHarness(createBinanceProvider({ ...FAST, ...tuning }), settingsFor('binance', { endpoint: fake.wsUrl, restEndpoint: fake.restUrl, ...extra }));
  }

  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  const subscribeFrames = (): Array<{ method: string; params: string[]; id: number }> =>
    fake.connections.flatMap((c) => c.received.map((text) => JSON.parse(text) as { method: string; params: string[]; id: number }));
  const tradeIds = (symbol: string): number[] => h.events.filter((e): e is TradeEvent => e.type === 'trade' && e.symbol === symbol).map((e) => Number(e.id));

  it('replays the recorded depth diffs against the recorded snapshot: first diff dropped, chain holds, book as worked out by hand', async () => {
    await start({}, { restDelayMs: 50 });
    fake.serveSnapshot('NKNUSDT', binanceSnapshotText());
    h.subscribe([{ channel: 'book', symbol: 'NKNUSDT', depth: 5 }]);
    await until(() => (fake.openConnections[0]?.streams.has('nknusdt@depth@100ms') ?? false) && fake.restCalls.length === 1, 'subscription and snapshot request');
    for (const line of binanceSampleLines().slice(0, 12)) fake.replay(line);
    await until(() => h.books().length === 1, 'the synced book');
    await settle(30);
    const books = h.books();
    assert.equal(books.length, 1, 'one book once the snapshot met the buffered diffs');
    assert.deepEqual({ bids: books[0]!.bids, asks: books[0]!.asks }, NKN_TOP5_AFTER_775);
    assert.equal(books[0]!.seq, 499869775);
    assert.equal(books[0]!.ts, 1633998514769, 'E of the last applied diff');
    assert.deepEqual(fake.restCalls, ['/api/v3/depth?symbol=NKNUSDT&limit=1000']);
  });

  it('streams trades, quotes and candles, subscribing in batches under 5 control messages per second', async () => {
    await start({ streamsPerMessage: 3 });
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT']) fake.list(symbol);
    const symbols = [...fake.markets.keys()];
    h.subscribe(symbols.flatMap((symbol) => [{ channel: 'trade' as const, symbol }, { channel: 'quote' as const, symbol }, { channel: 'candle' as const, symbol, interval: '1m' }]));
    await until(() => h.session.status.state === 'connected', 'connected', 10_000);
    const frames = subscribeFrames();
    assert.equal(frames.length, 5, '15 streams, 3 per SUBSCRIBE');
    assert.ok(frames.every((f) => f.method === 'SUBSCRIBE' && Number.isInteger(f.id) && f.id > 0));
    assert.equal(fake.connections[0]!.closedBy, null, 'never over the rate limit');
    fake.trade('BTCUSDT');
    fake.bookStep('ETHUSDT', 1);
    fake.kline('SOLUSDT', '1m');
    await until(() => h.events.length >= 2, 'events');
    await settle(20);
    const trade = h.events.find((e): e is TradeEvent => e.type === 'trade')!;
    assert.equal(trade.symbol, 'BTCUSDT');
    assert.equal(trade.price, Number(fake.market('BTCUSDT').price(trade.side === 'sell' ? fake.market('BTCUSDT').bestBid() : fake.market('BTCUSDT').bestAsk())));
    assert.ok(h.events.some((e) => e.type === 'candle' && e.symbol === 'SOLUSDT' && e.interval === '1m' && e.end - e.start === 60_000));
    assert.ok(h.events.every((e) => e.ts > 1e12 && e.receivedAt > 1e12));
  });

  it('answers the server\'s pings with the same payload and keeps the connection', async () => {
    await start({}, { pingIntervalMs: 40, pongTimeoutMs: 120, maxIncomingPerSecond: 100 });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    await settle(400);
    const connection = fake.connections[0]!;
    assert.ok(connection.pongsOk >= 5, `${connection.pongsOk} pongs`);
    assert.equal(connection.pongsWrong, 0);
    assert.equal(connection.closedBy, null);
    assert.equal(fake.connections.length, 1);
  });

  it('opens a second connection past 1024 streams', async function () {
    await start({ streamsPerMessage: 200, controlMessagesPerSecond: 4 });
    const symbols = Array.from({ length: 1100 }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);
    for (const symbol of symbols) fake.list(symbol, { levels: 1 });
    h.subscribe(symbols.map((symbol) => ({ channel: 'trade' as const, symbol })));
    await until(() => fake.openConnections.length === 2 && fake.openConnections.reduce((n, c) => n + c.streams.size, 0) === 1100, '1100 streams on the fake', 10_000);
    assert.deepEqual(fake.openConnections.map((c) => c.streams.size), [1024, 76]);
    assert.ok(fake.connections.every((c) => c.closedBy === null), 'no connection closed for the rate limit');
    await until(() => h.session.status.state === 'connected', 'connected');
    assert.match(h.session.status.detail, /2 connections/);
  });

  it('reports an unknown symbol with Binance\'s own words to that symbol only; the others keep streaming', async () => {
    await start();
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }, { channel: 'trade', symbol: 'NOPEUSDT' }, { channel: 'quote', symbol: 'NOPEUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.trade('BTCUSDT');
    await until(() => h.errors.length === 1, 'the unknown symbol reported');
    const error = h.errors[0]!;
    assert.equal(error.code, 'SUBSCRIPTION');
    assert.equal(error.symbol, 'NOPEUSDT');
    assert.equal(error.reason, 'Invalid symbol.');
    assert.match(error.message, /unknown symbol NOPEUSDT \(Binance says: "Invalid symbol\."\)/);
    assert.ok(fake.restCalls.includes('/api/v3/exchangeInfo?symbol=NOPEUSDT'));
    assert.ok(!fake.restCalls.includes('/api/v3/exchangeInfo?symbol=BTCUSDT'), 'a symbol that sent data is not looked up');
    await until(() => !fake.openConnections[0]!.streams.has('nopeusdt@trade'), 'its streams unsubscribed');
    const before = tradeIds('BTCUSDT').length;
    fake.trade('BTCUSDT');
    fake.trade('BTCUSDT');
    await until(() => tradeIds('BTCUSDT').length === before + 2, 'BTCUSDT still streaming');
    assert.equal(h.errors.length, 1);
  });

  it('reports an unknown symbol at once on a book subscription (the depth snapshot says "Invalid symbol.")', async () => {
    await start({ verifyAfterMs: 60_000 });
    h.subscribe([{ channel: 'book', symbol: 'NOPEUSDT', depth: 5 }]);
    await until(() => h.errors.length === 1, 'the unknown symbol reported');
    assert.equal(h.errors[0]!.reason, 'Invalid symbol.');
    assert.equal(h.errors[0]!.channel, 'book');
  });

  it('looks up 5,000 silent symbols with one paced exchangeInfo request, reports the unknown ones and logs one summary line', async () => {
    await start({ maxStreamsPerConnection: 6_000, streamsPerMessage: 1_000, verifyAfterMs: 100 }, { maxStreamsPerConnection: 6_000 });
    const symbols = Array.from({ length: 5_000 }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);
    const unknown = new Set(['S0007USDT', 'S4321USDT']);
    for (const symbol of symbols) if (!unknown.has(symbol)) fake.list(symbol);
    h.subscribe(symbols.map((symbol) => ({ channel: 'trade' as const, symbol })));
    await until(() => h.errors.length === 2, 'the two unknown symbols reported', 20_000);
    await until(() => h.logs.some((l) => l.includes('exchangeInfo request')), 'the summary line', 5_000);
    const lookups = fake.restCalls.filter((call) => call.startsWith('/api/v3/exchangeInfo'));
    assert.deepEqual(lookups, ['/api/v3/exchangeInfo'], 'one request for the whole list, not one per symbol');
    assert.deepEqual(new Set(h.errors.map((e) => e.symbol)), unknown);
    assert.ok(h.errors.every((e) => e.code === 'SUBSCRIPTION'));
    const summary = h.logs.filter((l) => l.includes('silent symbol'));
    assert.deepEqual(summary, ['info: binance: looked up 5000 silent symbols with 1 exchangeInfo request: 2 unknown (S0007USDT, S4321USDT)']);
  });

  it('finds unknown symbols in a refused exchangeInfo list by halving it, one request a second at most', async () => {
    await start({ verifyAfterMs: 100, verifyIntervalMs: 200 });
    const symbols = Array.from({ length: 16 }, (_, i) => `T${String(i).padStart(2, '0')}USDT`);
    for (const symbol of symbols) if (symbol !== 'T05USDT') fake.list(symbol);
    const stamps: number[] = [];
    const calls = fake.restCalls;
    const push = calls.push.bind(calls);
    calls.push = (...items: string[]): number => {
      for (const item of items) if (item.startsWith('/api/v3/exchangeInfo')) stamps.push(Date.now());
      return push(...items);
    };
    h.subscribe(symbols.map((symbol) => ({ channel: 'trade' as const, symbol })));
    await until(() => h.logs.some((l) => l.includes('exchangeInfo requests')), 'the summary line', 15_000);
    assert.deepEqual(h.errors.map((e) => e.symbol), ['T05USDT']);
    const lookups = calls.filter((call) => call.startsWith('/api/v3/exchangeInfo'));
    // 16 → 8 + 8 → 4 + 4 → 2 + 2 → 1 + 1: the list, then two halves at each of four levels at most.
    assert.ok(lookups.length <= 9, `${lookups.length} lookups`);
    assert.match(lookups[0]!, /^\/api\/v3\/exchangeInfo\?symbols=%5B%22T00USDT%22%2C/);
    for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i]! - stamps[i - 1]! >= 190, `lookups ${i - 1} and ${i} ${stamps[i]! - stamps[i - 1]!} ms apart`);
    assert.equal(h.logs.filter((l) => l.includes('silent symbol')).length, 1, 'one summary line');
  });

  it('spends at most its REST weight budget a minute on depth snapshots, however many books start at once', async () => {
    await start({ restWeightPerMinute: 250, verifyAfterMs: 60_000 });
    const symbols = Array.from({ length: 30 }, (_, i) => `B${String(i).padStart(2, '0')}USDT`);
    for (const symbol of symbols) fake.list(symbol);
    h.subscribe(symbols.map((symbol) => ({ channel: 'book' as const, symbol, depth: 5 })));
    await until(() => fake.restCalls.filter((call) => call.startsWith('/api/v3/depth')).length >= 5, 'the first snapshots', 10_000);
    await settle(500);
    // A snapshot asks for 1000 levels, weight 50: 5 of them fill a 250-weight minute; the other 25 wait.
    assert.equal(fake.restCalls.filter((call) => call.startsWith('/api/v3/depth')).length, 5);
  });

  it('warns when exchangeInfo lists a silent symbol as not trading', async () => {
    await start();
    fake.list('HALTUSDT', { status: 'BREAK' });
    h.subscribe([{ channel: 'trade', symbol: 'HALTUSDT' }]);
    await until(() => h.notices.length === 1, 'the notice');
    assert.deepEqual([h.notices[0]!.level, h.notices[0]!.code, h.notices[0]!.detail], ['warning', 'SYMBOL_NOT_TRADING', 'Binance lists HALTUSDT with status BREAK: no data until it trades again']);
    assert.equal(h.errors.length, 0);
  });

  it('tells the book\'s nodes when the REST snapshot cannot be fetched, and keeps retrying', async () => {
    await start({}, {}, { restEndpoint: 'http://127.0.0.1:9' });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'book', symbol: 'BTCUSDT', depth: 5 }]);
    await until(() => h.errors.length >= 2, 'two failed attempts');
    assert.equal(h.errors[0]!.code, 'NETWORK');
    assert.equal(h.errors[0]!.channel, 'book');
    assert.match(h.errors[0]!.message, /the order-book snapshot of BTCUSDT could not be fetched \(.*ECONNREFUSED.*\); no book until it can, retrying/);
    assert.equal(h.books().length, 0);
  });

  it('reports "Too many subscriptions" error frames to the refused symbols only', async () => {
    await start({ streamsPerMessage: 1 }, { maxStreamsPerConnection: 2 });
    for (const symbol of ['AAAUSDT', 'BBBUSDT', 'CCCUSDT']) fake.list(symbol);
    h.subscribe(['AAAUSDT', 'BBBUSDT', 'CCCUSDT'].map((symbol) => ({ channel: 'trade' as const, symbol })));
    await until(() => h.errors.length === 1, 'the refusal');
    assert.equal(h.errors[0]!.symbol, 'CCCUSDT');
    assert.equal(h.errors[0]!.reason, 'Too many subscriptions');
    fake.trade('AAAUSDT');
    fake.trade('BBBUSDT');
    await until(() => h.events.length === 2, 'the accepted symbols stream');
  });

  it('hands over before the 24 h cut: no trade id missing or repeated, no reconnect shown', async () => {
    await start({ rotateAfterMs: 600, overlapMs: 60 }, { connectionLifetimeMs: 800 });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    const started = Date.now();
    while (Date.now() - started < 2_200) {
      fake.trade('BTCUSDT');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await settle(100);
    const published = fake.publishedTrades.get('BTCUSDT')!;
    const first = published.findIndex((id) => id === tradeIds('BTCUSDT')[0]);
    assert.ok(first >= 0 && first < 5, 'streaming from the start');
    assert.deepEqual(tradeIds('BTCUSDT'), published.slice(first), 'every trade id once, in order');
    assert.ok(fake.connections.length >= 4, `${fake.connections.length} connections over 2.2 s`);
    assert.ok(fake.connections.every((c) => c.closedBy !== '24 hours'), 'each connection was retired before the cut');
    assert.deepEqual([...new Set(h.statuses.map((s) => s.state))], ['connecting', 'connected']);
  });

  it('hands over on serverShutdown with books kept in sync: no resync, no missing trade', async () => {
    await start({ overlapMs: 50 });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }, { channel: 'book', symbol: 'BTCUSDT', depth: 10 }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.bookStep('BTCUSDT');
    await until(() => h.books().length > 0, 'book synced');
    const started = Date.now();
    let shutdownSent = false;
    while (Date.now() - started < 600) {
      fake.trade('BTCUSDT');
      fake.bookStep('BTCUSDT');
      if (!shutdownSent && Date.now() - started > 100) {
        fake.serverShutdown(150);
        shutdownSent = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await settle(100);
    assert.equal(fake.connections.length, 2);
    assert.equal(fake.connections[0]!.closedBy, null, 'the old connection was closed by us, before the server did');
    const published = fake.publishedTrades.get('BTCUSDT')!;
    assert.deepEqual(tradeIds('BTCUSDT'), published);
    assert.deepEqual(symbolStates(h.statuses, 'BTCUSDT'), [], 'the book never lost sync');
    const books = h.books('BTCUSDT');
    assert.equal(books.at(-1)!.seq, fake.market('BTCUSDT').updateId);
    for (let i = 1; i < books.length; i++) assert.ok(books[i]!.seq! > books[i - 1]!.seq!, 'book ids only move forward');
  });

  it('reconnects after a drop, resubscribes, and resyncs the book from a new snapshot', async () => {
    await start();
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'book', symbol: 'BTCUSDT', depth: 10 }, { channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.bookStep('BTCUSDT');
    await until(() => h.books().length > 0, 'book synced');
    fake.dropAll();
    await until(() => h.statuses.some((s) => s.state === 'reconnecting'), 'reconnecting');
    fake.skipDepthDiff('BTCUSDT'); // moves while we are away
    await until(() => fake.openConnections.length === 1 && fake.openConnections[0]!.streams.size === 2, 'resubscribed');
    fake.bookStep('BTCUSDT');
    await until(() => h.books().at(-1)!.seq === fake.market('BTCUSDT').updateId, 'book after the resync');
    assert.deepEqual(symbolStates(h.statuses, 'BTCUSDT'), ['resyncing', 'synced']);
    const last = h.books().at(-1)!;
    assert.deepEqual({ bids: last.bids, asks: last.asks }, fake.trueTop('BTCUSDT', 10));
  });

  it('reconnects when the feed stalls (no frame, no ping) past staleAfterMs', async () => {
    await start({ staleAfterMs: 300 });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.stalled = true;
    await until(() => h.statuses.some((s) => s.state === 'stale'), 'stale', 3_000);
    fake.stalled = false;
    await until(() => fake.connections.length === 2 && h.session.status.state === 'connected', 'reconnected');
    fake.trade('BTCUSDT');
    await until(() => tradeIds('BTCUSDT').length === 1, 'streaming again');
  });

  it('skips a garbage frame with a PROTOCOL error and keeps streaming', async () => {
    await start();
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.broadcast('{"stream":"btcusdt@trade","data":{"e":"trade"');
    fake.trade('BTCUSDT');
    await until(() => tradeIds('BTCUSDT').length === 1, 'the next trade');
    assert.deepEqual(h.errors.map((e) => [e.code, e.message]), [['PROTOCOL', 'Binance sent a frame that is not JSON; it was skipped']]);
    assert.equal(fake.connections.length, 1, 'no reconnect for one bad frame');
  });

  it('delivers microsecond time fields as epoch milliseconds when timeUnit is MICROSECOND', async () => {
    await start({}, {}, { options: { timeUnit: 'MICROSECOND' } });
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'trade', symbol: 'BTCUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    const sentAt = Date.now();
    fake.trade('BTCUSDT');
    await until(() => tradeIds('BTCUSDT').length === 1, 'trade');
    assert.ok(Math.abs(h.events[0]!.ts - sentAt) < 1000, `ts ${h.events[0]!.ts} is epoch ms`);
    assert.ok(fake.connections[0]!.microseconds, 'the connection asked for timeUnit=MICROSECOND');
  });

  it('keeps the emitted book equal to the true book through thousands of random gaps, stale snapshots and drops', async function () {
    this.timeout(60_000);
    await start();
    fake.list('BTCUSDT', { levels: 30 });
    h.subscribe([{ channel: 'book', symbol: 'BTCUSDT', depth: 10 }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    const market = fake.market('BTCUSDT');
    const history = fake.history.get('BTCUSDT')!;
    const random = seededRandom(20261120);
    const lastSeq = (): number | undefined => h.lastBook()?.seq;
    const step = (n: number): void => {
      for (let i = 0; i < n; i++) fake.bookStep('BTCUSDT');
    };
    step(1);
    await until(() => lastSeq() === market.updateId, 'first sync');
    const counts = { gap: 0, stale: 0, drop: 0 };
    const rounds = 2_000;
    for (let round = 0; round < rounds; round++) {
      const draw = random();
      if (draw < 0.75) {
        counts.gap += 1;
        fake.skipDepthDiff('BTCUSDT');
      } else if (draw < 0.99) {
        counts.stale += 1;
        fake.serveStaleSnapshotOnce('BTCUSDT');
        fake.skipDepthDiff('BTCUSDT');
      } else {
        counts.drop += 1;
        fake.dropAll();
        await until(() => fake.openConnections.length === 1 && fake.openConnections[0]!.streams.size === 1, 'resubscribed');
      }
      step(3 + Math.floor(random() * 3));
      await until(() => lastSeq() === market.updateId, `round ${round}: book at ${market.updateId}`);
    }
    const books = h.books('BTCUSDT');
    let previous = 0;
    for (const book of books) {
      assert.equal(bookProblem(book), null, `book ${book.seq}`);
      assert.ok(book.seq! > previous, `book ${book.seq} after ${previous}: never an older book`);
      previous = book.seq!;
      const truth = history.get(book.seq!)!;
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 10), asks: truth.asks.slice(0, 10) }, `book ${book.seq} equals the true book`);
    }
    const faults = counts.gap + counts.stale + counts.drop;
    assert.equal(faults, rounds);
    const snapshots = fake.restCalls.filter((call) => call.startsWith('/api/v3/depth')).length;
    assert.equal(snapshots, 1 + counts.gap + 2 * counts.stale + counts.drop, 'one snapshot per gap or drop, two for a stale snapshot: each fault resyncs once');
    assert.equal(symbolStates(h.statuses, 'BTCUSDT').filter((s) => s === 'resyncing').length, faults);
  });

  it('closes every socket and timer when stopped', async () => {
    await settle(10);
    const before = activeHandles();
    await start();
    fake.list('BTCUSDT');
    h.subscribe([{ channel: 'book', symbol: 'BTCUSDT', depth: 5 }, { channel: 'trade', symbol: 'NOPEUSDT' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.bookStep('BTCUSDT');
    await until(() => h.books().length > 0, 'book');
    await h.close();
    await fake.close();
    await settle(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'TCPSocketWrap', 'TCPServerWrap']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, kind);
  });
});
