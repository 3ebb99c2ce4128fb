import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { CandleEvent, QuoteEvent, TradeEvent } from '../../../src/model/events';
import { createCoinbaseProvider, type CoinbaseTuning } from '../../../src/providers/coinbase';
import { canonicalCoinbaseSymbol } from '../../../src/providers/coinbase/settings';
import type { ProviderSettings } from '../../../src/model/provider';
import { FakeCoinbase, type FakeCoinbaseOptions } from '../../fakes/coinbase/server';
import { coinbaseSampleLines } from '../../fakes/coinbase/samples';
import { seededRandom } from '../../fakes/binance/market';
import { bookProblem, openHarness, settingsFor, settle, symbolStates, until, type Harness } from './harness';

const FAST: Partial<CoinbaseTuning> = { backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, messagesPerSecond: Number.POSITIVE_INFINITY };

describe('coinbase: configuration', () => {
  it('takes product ids with a dash, upper case', () => {
    assert.equal(canonicalCoinbaseSymbol(' btc-usd '), 'BTC-USD');
    assert.equal(canonicalCoinbaseSymbol('BTC/USD'), 'BTC-USD');
    assert.equal(canonicalCoinbaseSymbol('BTC-PERP-INTX'), 'BTC-PERP-INTX');
    assert.throws(() => canonicalCoinbaseSymbol('BTCUSD'), /write base-quote with a dash, e\.g\. BTC-USD/);
  });

  it('needs both parts of a CDP key, or neither, and says what the secret must look like', () => {
    const provider = createCoinbaseProvider();
    const settings = (credentials: ProviderSettings['credentials']): ProviderSettings => settingsFor('coinbase', { credentials });
    assert.equal(provider.validateSettings(settings({})), null);
    assert.match(provider.validateSettings(settings({ apiKey: 'organizations/x/apiKeys/y' }))!, /give both the API key name and its private key/);
    assert.match(provider.validateSettings(settings({ apiKey: 'k', apiSecret: 'not a key' }))!, /EC key in PEM form/);
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    assert.equal(provider.validateSettings(settings({ apiKey: 'k', apiSecret: pem.replace(/\n/g, '\\n') })), null, 'a PEM pasted with escaped new lines works too');
  });
});

describe('coinbase provider against the local fake', function () {
  this.timeout(30_000);
  let fake: FakeCoinbase;
  let h: Harness;

  async function start(fakeOptions: FakeCoinbaseOptions = {}, extra: Partial<ProviderSettings> = {}, tuning: Partial<CoinbaseTuning> = {}): Promise<void> {
    fake = await FakeCoinbase.start(fakeOptions);
    h = openHarness(createCoinbaseProvider({ ...FAST, ...tuning }), settingsFor('coinbase', { endpoint: fake.url, ...extra }));
  }

  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  const requests = (): Array<Record<string, unknown>> => fake.connections.flatMap((c) => c.received);
  const tradesOf = (symbol: string): TradeEvent[] => h.events.filter((e): e is TradeEvent => e.type === 'trade' && e.symbol === symbol);

  it('golden: the recorded l2_data snapshot, subscription answers, heartbeat and error frame', async () => {
    await start({ silent: true });
    h.subscribe([{ channel: 'book', symbol: 'BTC-PERP-INTX', depth: 10 }]);
    await until(() => requests().length === 2, 'heartbeats and level2 subscribe');
    assert.deepEqual(requests(), [
      { type: 'subscribe', channel: 'heartbeats' },
      { type: 'subscribe', channel: 'level2', product_ids: ['BTC-PERP-INTX'] },
    ]);
    const lines = coinbaseSampleLines();
    for (const line of lines.slice(0, 4)) fake.broadcast(line);
    await until(() => h.session.status.state === 'connected', 'both answers matched: connected');
    assert.deepEqual(h.books(), [{
      type: 'book', provider: 'coinbase', symbol: 'BTC-PERP-INTX', ts: 1788746278894, receivedAt: h.books()[0]!.receivedAt,
      bids: [[79943.9, 3.0105], [79943.8, 0.5]], asks: [[79944, 0.048], [79944.1, 1.2]], depth: 10, seq: 0,
    }]);
    assert.equal(h.errors.length, 0, 'both subscriptions confirmed by the cumulative answers');
    fake.broadcast(lines[4]!);
    await until(() => h.errors.length === 1, 'the error frame');
    assert.equal(h.errors[0]!.message, 'Coinbase: "authentication failure"');
  });

  it('golden: the recorded market_trades snapshot, after a reconnect, fills the hole with the newer trade', async () => {
    await start({ silent: true });
    h.subscribe([{ channel: 'trade', symbol: 'BTC-USD' }]);
    await until(() => requests().length === 2, 'subscribed');
    fake.broadcast('{"channel":"market_trades","client_id":"","timestamp":"2025-10-27T16:44:38.1Z","sequence_num":0,"events":[{"type":"snapshot","trades":[{"product_id":"BTC-USD","trade_id":"892262229","price":"115440.00","size":"0.1","time":"2025-10-27T16:44:38.000000Z","side":"SELL"}]}]}');
    fake.broadcast('{"channel":"market_trades","client_id":"","timestamp":"2025-10-27T16:44:38.2Z","sequence_num":1,"events":[{"type":"update","trades":[{"product_id":"BTC-USD","trade_id":"892262230","price":"115441.00","size":"0.2","time":"2025-10-27T16:44:38.100000Z","side":"BUY"}]}]}');
    await until(() => tradesOf('BTC-USD').length === 1, 'the update');
    fake.dropAll();
    await until(() => fake.openConnections.length === 1 && fake.openConnections[0]!.received.length === 2, 'resubscribed');
    fake.broadcast(coinbaseSampleLines()[5]!);
    await until(() => tradesOf('BTC-USD').length === 2, 'the recorded trade');
    const [first, recorded] = tradesOf('BTC-USD');
    assert.equal(first!.id, '892262230', 'the first snapshot is history and is not sent');
    assert.deepEqual(recorded, { type: 'trade', provider: 'coinbase', symbol: 'BTC-USD', ts: 1761583479600, receivedAt: recorded!.receivedAt, price: 115445.28, size: 0.00015604, id: '892262231' });
  });

  it('subscribes one channel per message, heartbeats first, and streams quotes, trades and candles', async () => {
    await start({ subscribeDeadlineMs: 200 });
    fake.list('BTC-USD');
    fake.list('ETH-USD');
    h.subscribe(['BTC-USD', 'ETH-USD'].flatMap((symbol) => [{ channel: 'quote' as const, symbol }, { channel: 'trade' as const, symbol }, { channel: 'candle' as const, symbol, interval: '5m' }]));
    await until(() => h.session.status.state === 'connected', 'connected');
    assert.deepEqual(requests().map((r) => `${String(r.channel)}:${(r.product_ids as string[] | undefined)?.join('+') ?? ''}`), ['heartbeats:', 'ticker:BTC-USD+ETH-USD', 'market_trades:BTC-USD+ETH-USD', 'candles:BTC-USD+ETH-USD']);
    const quote = h.events.find((e): e is QuoteEvent => e.type === 'quote' && e.symbol === 'BTC-USD')!;
    const product = fake.product('BTC-USD');
    assert.deepEqual([quote.bid, quote.ask], [Number(product.price(product.bestBid())), Number(product.price(product.bestOffer()))], 'the ticker snapshot\'s best bid and ask');
    assert.equal(tradesOf('BTC-USD').length, 0, 'the trade snapshot is history');
    const id = fake.trade('BTC-USD');
    const start5m = 1_700_000_100;
    fake.candle('ETH-USD', start5m, '2000.5');
    fake.candle('ETH-USD', start5m, '2001');
    fake.candle('ETH-USD', start5m + 300, '2002');
    await until(() => tradesOf('BTC-USD').length === 1 && h.events.filter((e) => e.type === 'candle').length === 4, 'trade and candles');
    assert.equal(tradesOf('BTC-USD')[0]!.id, String(id));
    assert.equal(tradesOf('BTC-USD')[0]!.side, undefined, 'no aggressor side: Coinbase\'s own description of it is disputed');
    const candles = h.events.filter((e): e is CandleEvent => e.type === 'candle').map((c) => [c.start, c.end - c.start, c.close, c.closed]);
    assert.deepEqual(candles, [
      [start5m * 1000, 300_000, 2000.5, false],
      [start5m * 1000, 300_000, 2001, false],
      [start5m * 1000, 300_000, 2001, true],
      [(start5m + 300) * 1000, 300_000, 2002, false],
    ]);
    await settle(250);
    assert.equal(fake.connections[0]!.closedBy, null, 'subscribed before the deadline');
  });

  it('signs every subscribe with a fresh JWT (ES256 and Ed25519 keys), and shows a refused key as an auth error', async () => {
    for (const type of ['ec', 'ed25519'] as const) {
      const pair = type === 'ec' ? crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : crypto.generateKeyPairSync('ed25519');
      const secret = type === 'ec'
        ? pair.privateKey.export({ format: 'pem', type: 'sec1' }).toString()
        : Buffer.concat([(pair.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(16), (pair.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12)]).toString('base64');
      await start({ jwtPublicKey: pair.publicKey, jwtKeyName: 'organizations/o/apiKeys/k' }, { credentials: { apiKey: 'organizations/o/apiKeys/k', apiSecret: secret } });
      fake.list('BTC-USD');
      h.subscribe([{ channel: 'trade', symbol: 'BTC-USD' }]);
      await until(() => h.session.status.state === 'connected', `connected with a ${type} key`);
      const jwts = requests().map((r) => r.jwt as string);
      assert.equal(jwts.length, 2);
      assert.notEqual(jwts[0], jwts[1], 'one token per message');
      await h.close();
      await fake.close();
    }
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const mine = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const secret = mine.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    await start({ jwtPublicKey: other.publicKey, jwtKeyName: 'k' }, { credentials: { apiKey: 'k', apiSecret: secret } });
    h.subscribe([{ channel: 'trade', symbol: 'BTC-USD' }]);
    await until(() => h.statuses.some((s) => s.state === 'error'), 'auth error');
    const error = h.statuses.find((s) => s.state === 'error')!;
    assert.match(error.detail, /Coinbase refused the credentials: "authentication failure"/);
    assert.ok(!JSON.stringify(h.statuses).includes('PRIVATE KEY'), 'the secret never shows');
  });

  it('reports an unknown product with Coinbase\'s words to that product only; the others on the same connection keep streaming', async () => {
    await start();
    fake.list('BTC-USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC-USD' }, { channel: 'trade', symbol: 'NOPE-USD' }, { channel: 'quote', symbol: 'BTC-USD' }]);
    await until(() => h.errors.length === 1 && h.session.status.state === 'connected', 'the refusal');
    const error = h.errors[0]!;
    assert.equal(error.symbol, 'NOPE-USD');
    assert.equal(error.channel, 'trade');
    assert.equal(error.reason, 'failure to subscribe');
    assert.match(error.message, /Coinbase refused market_trades for NOPE-USD: "failure to subscribe"/);
    assert.deepEqual(fake.connections[0]!.channels.get('market_trades'), new Set(['BTC-USD']));
    fake.trade('BTC-USD');
    fake.trade('BTC-USD');
    await until(() => tradesOf('BTC-USD').length === 2, 'BTC-USD streams');
  });

  it('skips garbage with a PROTOCOL error, and reconnects when heartbeats stop', async () => {
    await start({ heartbeatMs: 50 }, {}, { staleAfterMs: 300 });
    fake.list('BTC-USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC-USD' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.broadcast('<html>502 Bad Gateway</html>');
    await until(() => h.errors.length === 1, 'the protocol error');
    assert.deepEqual([h.errors[0]!.code, h.errors[0]!.message], ['PROTOCOL', 'Coinbase sent a frame that is not JSON; it was skipped']);
    fake.stalled = true;
    await until(() => h.statuses.some((s) => s.state === 'stale'), 'stale');
    fake.stalled = false;
    await until(() => fake.connections.length === 2 && h.session.status.state === 'connected', 'reconnected');
    fake.trade('BTC-USD');
    await until(() => tradesOf('BTC-USD').length === 1, 'streaming again');
  });

  it('answers -USDC subscriptions from the -USD product messages', async () => {
    await start();
    fake.list('BTC-USD');
    h.subscribe([{ channel: 'trade', symbol: 'BTC-USDC' }]);
    await until(() => h.session.status.state === 'connected', 'connected');
    fake.trade('BTC-USD');
    await until(() => tradesOf('BTC-USDC').length === 1, 'the aliased trade');
    assert.equal(h.errors.length, 0);
  });

  it('resyncs every book on a sequence gap (even a lost heartbeat), ignores repeated old messages', async () => {
    await start();
    fake.list('BTC-USD');
    fake.list('ETH-USD');
    h.subscribe([{ channel: 'book', symbol: 'BTC-USD', depth: 5 }, { channel: 'book', symbol: 'ETH-USD', depth: 5 }]);
    await until(() => h.books('BTC-USD').length === 1 && h.books('ETH-USD').length === 1, 'both books');
    fake.skipSequence();
    fake.bookStep('BTC-USD');
    await until(() => symbolStates(h.statuses, 'BTC-USD').length === 2 && symbolStates(h.statuses, 'ETH-USD').length === 2, 'both resynced');
    assert.deepEqual(symbolStates(h.statuses, 'BTC-USD'), ['resyncing', 'synced']);
    const levels = requests().filter((r) => r.channel === 'level2').map((r) => `${String(r.type)} ${(r.product_ids as string[]).join('+')}`);
    assert.deepEqual(levels, ['subscribe BTC-USD+ETH-USD', 'unsubscribe BTC-USD+ETH-USD', 'subscribe BTC-USD+ETH-USD']);
    const booksBefore = h.events.length;
    const seq = fake.connections[0]!.seq - 1;
    fake.broadcast(`{"channel":"l2_data","client_id":"","timestamp":"2026-01-01T00:00:00Z","sequence_num":${seq},"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-01-01T00:00:00Z","price_level":"1","new_quantity":"1"}]}]}`);
    fake.bookStep('BTC-USD');
    await until(() => h.events.length === booksBefore + 1, 'the next real update');
    const last = h.books('BTC-USD').at(-1)!;
    assert.deepEqual({ bids: last.bids, asks: last.asks }, fake.product('BTC-USD').topNumbers(5), 'the repeated message was ignored');
  });

  it('asks for one fresh snapshot for a burst of holes, not one per hole', async () => {
    await start();
    fake.list('BTC-USD');
    h.subscribe([{ channel: 'book', symbol: 'BTC-USD', depth: 5 }]);
    await until(() => h.books('BTC-USD').length === 1, 'the first book');
    // Ten holes in one burst: all of them reach the client before the answer to its subscribe.
    for (let i = 0; i < 10; i++) {
      fake.skipSequence();
      fake.bookStep('BTC-USD');
    }
    await until(() => symbolStates(h.statuses, 'BTC-USD').length === 2, 'resynced');
    assert.deepEqual(symbolStates(h.statuses, 'BTC-USD'), ['resyncing', 'synced']);
    const levels = requests().filter((r) => r.channel === 'level2').map((r) => String(r.type));
    assert.deepEqual(levels, ['subscribe', 'unsubscribe', 'subscribe'], 'one unsubscribe/subscribe pair for the whole burst');
    const last = h.books('BTC-USD').at(-1)!;
    assert.deepEqual({ bids: last.bids, asks: last.asks }, fake.product('BTC-USD').topNumbers(5));
  });

  it('keeps the emitted book equal to the true book through thousands of random gaps, repeats and drops', async function () {
    this.timeout(60_000);
    await start();
    fake.list('BTC-USD');
    h.subscribe([{ channel: 'book', symbol: 'BTC-USD', depth: 10 }]);
    await until(() => h.books().length === 1, 'first snapshot');
    const random = seededRandom(99);
    const counts = { gap: 0, heartbeatGap: 0, repeat: 0, drop: 0 };
    /** Book events before this index came from earlier connections. */
    const connectionStarts: Array<{ from: number; connection: number }> = [{ from: 0, connection: 0 }];
    const current = (): number => fake.connections.length - 1;
    const lastSeq = (): number | undefined => h.lastBook()?.seq;
    const rounds = 2_000;
    for (let round = 0; round < rounds; round++) {
      const draw = random();
      if (draw < 0.6) {
        counts.gap += 1;
        fake.skipBookUpdate('BTC-USD');
      } else if (draw < 0.8) {
        counts.heartbeatGap += 1;
        fake.skipSequence();
      } else if (draw < 0.99) {
        counts.repeat += 1;
        const connection = fake.openConnections[0]!;
        fake.broadcast(`{"channel":"l2_data","client_id":"","timestamp":"2026-01-01T00:00:00Z","sequence_num":${connection.seq - 1},"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"offer","event_time":"2026-01-01T00:00:00Z","price_level":"99999","new_quantity":"5"}]}]}`);
      } else {
        counts.drop += 1;
        fake.dropAll();
        connectionStarts.push({ from: h.books().length, connection: current() + 1 });
        await until(() => fake.openConnections.length === 1 && fake.openConnections[0]!.channels.has('level2'), 'resubscribed');
      }
      for (let i = 0, n = 2 + Math.floor(random() * 3); i < n; i++) fake.bookStep('BTC-USD');
      const target = fake.openConnections[0]!.seq - 1;
      const booksBefore = h.events.length;
      await until(() => h.events.length > booksBefore && (lastSeq() ?? -1) >= target, `round ${round}: book at ${target} or later`);
    }
    const books = h.books();
    books.forEach((book, index) => {
      const connection = [...connectionStarts].reverse().find((start) => index >= start.from)!.connection;
      assert.equal(bookProblem(book), null, `book ${index}`);
      const truth = fake.bookHistory.get(`${connection}:${book.seq}`);
      assert.ok(truth, `book ${index} (seq ${book.seq}) was emitted from an l2_data message`);
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 10), asks: truth.asks.slice(0, 10) }, `book ${index} equals the true book`);
    });
    const resyncs = counts.gap + counts.heartbeatGap;
    assert.equal(counts.gap + counts.heartbeatGap + counts.repeat + counts.drop, rounds);
    assert.equal(symbolStates(h.statuses, 'BTC-USD').filter((s) => s === 'resyncing').length, resyncs + counts.drop, 'every gap and drop is reported, a repeat is not');
    const level2Subscribes = fake.connections.flatMap((c) => c.received).filter((r) => r.channel === 'level2' && r.type === 'subscribe').length;
    assert.equal(level2Subscribes, 1 + resyncs + counts.drop, 'one resubscribe per gap: each fault resyncs once');
  });
});
