/**
 * Fault suite: 10,000 malformed frames (truncated JSON, wrong types, huge numbers, unknown event
 * types, binary where text is expected, empty frames) in the middle of real streams, through the
 * real adapters against their fakes: 9,000 on the stream-in core (5 providers), 1,000 through
 * Node-RED. The frames are the fakes' own, rewritten in flight (test/fakes/fault-hooks.ts), so
 * sequence numbers and timing are the stream's.
 *
 * What must hold: no crash and no reconnect; every malformed frame counted once in health
 * (`errors`, via context.error → StreamConsumer); node.error rate-limited (one call per provider
 * per minute for unreadable frames); every good frame around them still decoded, in order; every
 * book emitted equal to the fake's true book at that point.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import type { BookEvent, QuoteEvent } from '../../src/model/events';
import { FeedSession } from '../../src/session/feed-session';
import { createBinanceProvider } from '../../src/providers/binance';
import { createCoinbaseProvider } from '../../src/providers/coinbase';
import { createKrakenProvider } from '../../src/providers/kraken';
import { schwabProvider } from '../../src/providers/schwab';
import { dxfeedProvider } from '../../src/providers/dxfeed';
import type { ProviderSettings } from '../../src/model/provider';
import { FakeBinance } from '../fakes/binance/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { FakeKraken } from '../fakes/kraken/server';
import { FakeSchwab } from '../fakes/schwab/fake';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import type { FaultHooks } from '../fakes/fault-hooks';
import { freshToken } from '../fakes/http-json';
import { SecretWatch } from '../fakes/secret-watch';
import { allNodes, callsOf, collect, helper, payloads, sentOn } from '../helpers/node-red';
import { bookProblem, seededRandom, streamNode, until, within, type NodeRecord } from './helpers';
import { HUGE_ID, HUGE_NUMBER, HUGE_TEXT, MUTATION_KINDS, NOT_A_LIST, NOT_NUMBER, NOT_TEXT, mutate, type FrameShape, type MutationKind } from './mutations';

/** Frames per provider on the stream-in core (9,000) and through Node-RED (1,000). */
const PER_PROVIDER = { binance: 2_000, coinbase: 2_000, kraken: 2_000, schwab: 1_500, dxfeed: 1_500 };
const THROUGH_NODE_RED = 1_000;
/** Good frames published between two malformed ones. */
const GOOD_PER_BAD = 2;

const settings = (provider: string, extra: Partial<ProviderSettings>): ProviderSettings => ({ provider, endpoint: '', restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra });

// ---- frame shapes, from the protocol documents ------------------------------------------------

const BINANCE_TRADE: FrameShape = {
  wrongType: [
    { path: ['data', 'p'], values: NOT_TEXT }, { path: ['data', 'q'], values: NOT_TEXT }, { path: ['data', 't'], values: NOT_NUMBER },
    { path: ['data', 'T'], values: NOT_NUMBER }, { path: ['data', 's'], values: NOT_TEXT }, { path: ['data', 'm'], values: ['yes', 1, null] },
    { path: ['data'], values: ['x', [], null] },
  ],
  hugeNumber: [{ path: ['data', 't'], literals: HUGE_ID }, { path: ['data', 'p'], literals: HUGE_TEXT }, { path: ['data', 'q'], literals: HUGE_TEXT }, { path: ['data', 'T'], literals: HUGE_NUMBER }],
  unknownType: [{ path: ['data', 'e'], values: ['trade2', 'TRADE', 'fill', 42] }],
};
const BINANCE_DEPTH: FrameShape = {
  wrongType: [
    { path: ['data', 'U'], values: NOT_NUMBER }, { path: ['data', 'u'], values: NOT_NUMBER }, { path: ['data', 'b'], values: NOT_A_LIST },
    { path: ['data', 'a'], values: NOT_A_LIST }, { path: ['data', 'E'], values: NOT_NUMBER }, { path: ['data', 's'], values: NOT_TEXT },
  ],
  hugeNumber: [{ path: ['data', 'u'], literals: HUGE_ID }, { path: ['data', 'U'], literals: HUGE_ID }],
  unknownType: [{ path: ['data', 'e'], values: ['depthUpdate2', 'depth', 7] }],
};
const COINBASE_TRADES: FrameShape = {
  wrongType: [
    { path: ['events'], values: ['x', 5, {}] }, { path: ['events', 0], values: [null, 'x', 5] }, { path: ['events', 0, 'trades'], values: NOT_A_LIST },
    { path: ['events', 0, 'trades', 0, 'price'], values: NOT_TEXT }, { path: ['events', 0, 'trades', 0, 'size'], values: NOT_TEXT },
    { path: ['events', 0, 'trades', 0, 'trade_id'], values: [...NOT_TEXT, 'abc'] }, { path: ['events', 0, 'trades', 0, 'product_id'], values: NOT_TEXT },
    { path: ['events', 0, 'trades', 0, 'time'], values: NOT_TEXT }, { path: ['sequence_num'], values: NOT_NUMBER },
  ],
  hugeNumber: [{ path: ['sequence_num'], literals: HUGE_ID }, { path: ['events', 0, 'trades', 0, 'price'], literals: HUGE_TEXT }, { path: ['events', 0, 'trades', 0, 'trade_id'], literals: ['"123456789012345678901234567890"'] }],
  unknownType: [{ path: ['channel'], values: ['market_trade', 'trades', 'level3'] }],
};
const COINBASE_L2: FrameShape = {
  wrongType: [
    { path: ['events', 0, 'updates'], values: NOT_A_LIST }, { path: ['events', 0, 'updates', 0, 'price_level'], values: NOT_TEXT },
    { path: ['events', 0, 'updates', 0, 'new_quantity'], values: [...NOT_TEXT, 'abc'] }, { path: ['events', 0, 'updates', 0, 'side'], values: ['buy', 5, null] },
    { path: ['events', 0, 'product_id'], values: NOT_TEXT },
  ],
  hugeNumber: [{ path: ['events', 0, 'updates', 0, 'new_quantity'], literals: HUGE_TEXT }, { path: ['events', 0, 'updates', 0, 'price_level'], literals: HUGE_TEXT }],
  unknownType: [{ path: ['events', 0, 'type'], values: ['delta', 'snapshot2', 3] }],
};
const NOT_KRAKEN_NUMBER = [{}, [], true, null, 'abc'];
const KRAKEN_TRADE: FrameShape = {
  wrongType: [
    { path: ['data'], values: NOT_A_LIST }, { path: ['data', 0], values: [null, 'x', 5] }, { path: ['data', 0, 'price'], values: NOT_KRAKEN_NUMBER },
    { path: ['data', 0, 'qty'], values: NOT_KRAKEN_NUMBER }, { path: ['data', 0, 'symbol'], values: [{}, [], true, null] },
    { path: ['data', 0, 'side'], values: ['long', {}, true] }, { path: ['data', 0, 'trade_id'], values: [{}, 'abc', true] },
  ],
  hugeNumber: [{ path: ['data', 0, 'price'], literals: HUGE_NUMBER }, { path: ['data', 0, 'qty'], literals: HUGE_NUMBER }, { path: ['data', 0, 'trade_id'], literals: HUGE_ID }],
  unknownType: [{ path: ['channel'], values: ['trades', 'fills', 'level3'] }],
};
const KRAKEN_BOOK: FrameShape = {
  wrongType: [{ path: ['data', 0, 'checksum'], values: NOT_KRAKEN_NUMBER }, { path: ['data', 0, 'symbol'], values: [{}, [], true, null] }, { path: ['data'], values: NOT_A_LIST }],
  hugeNumber: [{ path: ['data', 0, 'checksum'], literals: ['1e400'] }],
  unknownType: [{ path: ['channel'], values: ['books', 'level3'] }],
};
const SCHWAB_QUOTE: FrameShape = {
  wrongType: [
    { path: ['data'], values: [{}, 'x', 5] }, { path: ['data', 0], values: [null, 'x', 5] }, { path: ['data', 0, 'content'], values: NOT_A_LIST },
    { path: ['data', 0, 'content', 0], values: [null, 'x', 5] }, { path: ['data', 0, 'content', 0, 'key'], values: [5, null, {}] },
    { path: ['data', 0, 'content', 0, '1'], values: NOT_NUMBER },
  ],
  hugeNumber: [{ path: ['data', 0, 'content', 0, '1'], literals: HUGE_NUMBER }],
  unknownType: [{ path: ['data', 0, 'service'], values: ['LEVELONE_FUTURES', 'LEVELTWO_EQUITIES', 'QUOTE'] }],
};
const DXLINK_QUOTE: FrameShape = {
  wrongType: [
    { path: ['data'], values: ['x', 5, {}] }, { path: ['data', 1], values: ['x', 5, {}] }, { path: ['data', 1, 5], values: [{}, []] },
    { path: ['channel'], values: ['1', null, -1] }, { path: ['type'], values: [5, null] },
  ],
  hugeNumber: [{ path: ['data', 1, 5], literals: HUGE_NUMBER }],
  unknownType: [{ path: ['data', 0], values: ['Quote2', 'Order', 'Message'] }, { path: ['type'], values: ['FEED_DATA2', 'DOM_SNAPSHOT'] }],
};

// ---- the driver ------------------------------------------------------------------------------

interface Stream {
  node: NodeRecord;
  session: FeedSession;
  hooks: FaultHooks;
  /** Publishes one good event; returns its key as `delivered` will list it. */
  good(index: number): string;
  /** Publishes one event whose frame leaves the fake as `kind` of garbage. */
  bad(kind: MutationKind, random: () => number, index: number): void;
  /**
   * Moves the book without a trade. A book frame due to be garbled waits while its book resyncs
   * (the venue sends no update to a client that unsubscribed): the market has to move on.
   */
  nudge?(): void;
  /** Keys of the good events the node got, in order. */
  delivered(): string[];
  /** Sockets the fake has accepted (a malformed frame must not cost a reconnect). */
  connections(): number;
  /** Checks every book the node got against the fake's truth; resolves once the last one is the true book now. */
  books?(): Promise<void>;
  close(): Promise<void>;
}

async function runMalformed(stream: Stream, frames: number, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const expected: string[] = [];
  let bad = 0;
  const counted = (): number => stream.node.consumer.health().errors;
  for (let i = 0; i < frames; i++) {
    for (let g = 0; g < GOOD_PER_BAD; g++) expected.push(stream.good(i * GOOD_PER_BAD + g));
    stream.bad(MUTATION_KINDS[i % MUTATION_KINDS.length] as MutationKind, random, i);
    bad += 1;
    if (i % 50 === 49 || i === frames - 1) {
      await until(() => {
        if (stream.hooks.pendingRewrites > 0) stream.nudge?.();
        return counted() >= bad && stream.delivered().length >= expected.length;
      }, `${bad} malformed frames counted and ${expected.length} good events delivered (have ${counted()}, ${stream.delivered().length})`, 10_000);
    }
  }
  assert.equal(stream.hooks.pendingRewrites, 0, 'every malformed frame went out');
  assert.equal(counted(), frames, 'each malformed frame counted once in health.errors');
  assert.deepEqual(stream.delivered(), expected, 'every good event around them delivered once, in order');
  assert.ok(stream.node.nodeErrors.every((error) => error.code === 'PROTOCOL'), stream.node.nodeErrors.map((e) => e.message).join('\n'));
  assert.equal(stream.node.nodeErrors.length, 1, 'node.error once (rate-limited), not once per frame');
  assert.equal(stream.connections(), 1, 'no reconnect for malformed frames');
  await stream.books?.();
}

describe('fault suite: 10,000 malformed frames', function () {
  this.timeout(120_000);
  let stream: Stream | null = null;
  afterEach(async () => {
    // The core's 1-hour health and display intervals are real timers: left running, mocha never exits.
    stream?.node.consumer.stop();
    await stream?.close();
    stream = null;
  });

  it(`binance: ${PER_PROVIDER.binance} (trades and depth diffs), every book equal to the true book`, async () => {
    const fake = await FakeBinance.start({ maxIncomingPerSecond: 1000 });
    fake.list('BTCUSDT', { levels: 30 });
    const provider = createBinanceProvider({ snapshotRetryMs: 1, quietSnapshotMs: 50 });
    const session = new FeedSession(provider, settings('binance', { endpoint: fake.wsUrl, restEndpoint: fake.restUrl }));
    const node = streamNode(session, 'n1', { symbols: ['BTCUSDT'], channels: ['trade', 'book'], depth: 5 });
    stream = {
      node, session, hooks: fake.faults,
      good: () => {
        fake.bookStep('BTCUSDT');
        return `t${fake.trade('BTCUSDT')}`;
      },
      bad: (kind, random, index) => {
        const depth = index % 2 === 1;
        fake.faults.rewriteNext((text) => text.includes(depth ? '"e":"depthUpdate"' : '"e":"trade"'), (text) => mutate(text, kind, depth ? BINANCE_DEPTH : BINANCE_TRADE, random));
        if (depth) fake.bookStep('BTCUSDT');
        else fake.trade('BTCUSDT');
      },
      delivered: () => node.trades().map((trade) => `t${trade.id}`),
      nudge: () => fake.bookStep('BTCUSDT'),
      connections: () => fake.connections.length,
      books: async () => {
        const history = fake.history.get('BTCUSDT')!;
        await settleBook(() => node.books().at(-1), () => fake.trueTop('BTCUSDT', 5), () => fake.bookStep('BTCUSDT'));
        for (const book of node.books()) {
          assert.equal(bookProblem(book), null, `book ${book.seq}`);
          const truth = history.get(book.seq!)!;
          assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book ${book.seq} equals the true book`);
        }
      },
      close: async () => {
        await session.close();
        await fake.close();
      },
    };
    await until(() => session.status.state === 'connected', 'connected');
    await settleBook(() => node.books().at(-1), () => fake.trueTop('BTCUSDT', 5), () => fake.bookStep('BTCUSDT'));
    await runMalformed(stream, PER_PROVIDER.binance, 1);
  });

  it(`coinbase: ${PER_PROVIDER.coinbase} (market_trades and l2_data), every book equal to the true book`, async () => {
    const fake = await FakeCoinbase.start();
    fake.list('BTC-USD');
    const session = new FeedSession(createCoinbaseProvider({ messagesPerSecond: 100 }), settings('coinbase', { endpoint: fake.url }));
    const node = streamNode(session, 'n1', { symbols: ['BTC-USD'], channels: ['trade', 'book'], depth: 5 });
    stream = {
      node, session, hooks: fake.faults,
      good: () => {
        fake.bookStep('BTC-USD');
        return `t${fake.trade('BTC-USD')}`;
      },
      bad: (kind, random, index) => {
        const book = index % 2 === 1;
        fake.faults.rewriteNext((text) => text.includes(book ? '"channel":"l2_data"' : '"channel":"market_trades"') && text.includes('"type":"update"'), (text) => mutate(text, kind, book ? COINBASE_L2 : COINBASE_TRADES, random));
        if (book) fake.bookStep('BTC-USD');
        else fake.trade('BTC-USD');
      },
      delivered: () => node.trades().map((trade) => `t${trade.id}`),
      nudge: () => fake.bookStep('BTC-USD'),
      connections: () => fake.connections.length,
      books: async () => {
        const product = fake.product('BTC-USD');
        await settleBook(() => node.books().at(-1), () => product.topNumbers(5), () => fake.bookStep('BTC-USD'));
        for (const book of node.books()) {
          assert.equal(bookProblem(book), null, `book ${book.seq}`);
          const truth = fake.bookHistory.get(`0:${book.seq}`);
          assert.ok(truth, `book ${book.seq} comes from an l2_data message`);
          assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book ${book.seq} equals the true book`);
        }
      },
      close: async () => {
        await session.close();
        await fake.close();
      },
    };
    await until(() => session.status.state === 'connected' && node.books().length > 0, 'connected and synced');
    await runMalformed(stream, PER_PROVIDER.coinbase, 2);
  });

  it(`kraken: ${PER_PROVIDER.kraken} (trades and book updates), every book equal to the true book`, async () => {
    const fake = await FakeKraken.start();
    fake.list('BTC/USD');
    const session = new FeedSession(createKrakenProvider({ messagesPerSecond: 100 }), settings('kraken', { endpoint: fake.url }));
    const node = streamNode(session, 'n1', { symbols: ['BTC/USD'], channels: ['trade', 'book'], depth: 5 });
    stream = {
      node, session, hooks: fake.faults,
      good: () => {
        fake.bookStep('BTC/USD');
        return `t${fake.trade('BTC/USD')}`;
      },
      bad: (kind, random, index) => {
        const book = index % 2 === 1;
        fake.faults.rewriteNext((text) => text.includes(book ? '"channel":"book","type":"update"' : '"channel":"trade"'), (text) => mutate(text, kind, book ? KRAKEN_BOOK : KRAKEN_TRADE, random));
        // A book step may change nothing the client holds (then nothing is sent): step until a frame went out.
        if (!book) fake.trade('BTC/USD');
        else for (let i = 0; i < 20 && fake.faults.pendingRewrites > 0; i++) fake.bookStep('BTC/USD');
      },
      delivered: () => node.trades().map((trade) => `t${trade.id}`),
      nudge: () => fake.bookStep('BTC/USD'),
      connections: () => fake.connections.length,
      books: async () => {
        const pair = fake.pair('BTC/USD');
        await settleBook(() => node.books().at(-1), () => pair.numbers(pair.view(5)), () => fake.bookStep('BTC/USD'));
        for (const book of node.books()) {
          assert.equal(bookProblem(book), null, `book at ${book.ts}`);
          const truth = fake.bookHistory.get(`BTC/USD@${book.ts}`);
          assert.ok(truth, `book at ${book.ts} comes from a book message`);
          assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book at ${book.ts} equals the true book`);
        }
      },
      close: async () => {
        await session.close();
        await fake.close();
      },
    };
    await until(() => session.status.state === 'connected' && node.books().length > 0, 'connected and synced');
    await runMalformed(stream, PER_PROVIDER.kraken, 3);
  });

  it(`schwab: ${PER_PROVIDER.schwab} (LEVELONE_EQUITIES data), no credential in any error`, async () => {
    const watch = new SecretWatch();
    const credentials = { clientId: freshToken('schwab-app-key'), clientSecret: freshToken('schwab-app-secret'), refreshToken: freshToken('schwab-refresh') };
    watch.secret(...Object.values(credentials));
    const fake = await FakeSchwab.start({ ...credentials, heartbeatMs: 0 });
    watch.issuedBy(() => [...fake.issued, fake.customerId, fake.correlId]);
    const session = new FeedSession(schwabProvider, settings('schwab', { restEndpoint: fake.restUrl, credentials }), { log: watch.logger() });
    const node = streamNode(session, 'n1', { symbols: ['SPY'], channels: ['quote'] });
    let bid = 500;
    const publish = (): number => {
      bid = Math.round((bid + 0.01) * 100) / 100;
      fake.publish('LEVELONE_EQUITIES', 'SPY', { '1': bid, '2': bid + 0.05, '4': 3, '5': 4, '37': 1_795_000_000_000 });
      return bid;
    };
    stream = {
      node, session, hooks: fake.faults,
      good: () => `b${publish()}`,
      bad: (kind, random) => {
        fake.faults.rewriteNext((text) => text.includes('"LEVELONE_EQUITIES"'), (text) => mutate(text, kind, SCHWAB_QUOTE, random));
        publish();
      },
      delivered: () => node.events.filter((e): e is QuoteEvent => e.type === 'quote').map((quote) => `b${quote.bid}`),
      connections: () => fake.connections,
      close: async () => {
        await session.close();
        await fake.close();
      },
    };
    await until(() => session.status.state === 'connected' && fake.subscriptions().length === 1, 'connected and subscribed');
    await runMalformed(stream, PER_PROVIDER.schwab, 4);
    for (const error of node.nodeErrors) watch.capture({ message: error.message, reason: error.reason });
    watch.assertClean();
  });

  it(`dxfeed (DXLink): ${PER_PROVIDER.dxfeed} (FEED_DATA quotes); each reported, nothing reaches the console`, async () => {
    const fake = await FakeDxlinkServer.start({ requireAuth: false });
    const session = new FeedSession(dxfeedProvider, settings('dxfeed', { endpoint: fake.url }));
    const node = streamNode(session, 'n1', { symbols: ['AAPL'], channels: ['quote'] });
    let bid = 100;
    const publish = (): number => {
      bid = Math.round((bid + 0.01) * 100) / 100;
      fake.publish([{ eventType: 'Quote', eventSymbol: 'AAPL', bidPrice: bid, askPrice: bid + 0.05, bidSize: 3, askSize: 4 }]);
      return bid;
    };
    const consoleErrors: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void consoleErrors.push(args);
    stream = {
      node, session, hooks: fake.faults,
      good: () => `b${publish()}`,
      bad: (kind, random) => {
        fake.faults.rewriteNext((text) => text.includes('"FEED_DATA"'), (text) => mutate(text, kind, DXLINK_QUOTE, random));
        publish();
      },
      delivered: () => node.events.filter((e): e is QuoteEvent => e.type === 'quote').map((quote) => `b${quote.bid}`),
      connections: () => fake.connections,
      close: async () => {
        console.error = consoleError;
        await session.close();
        await fake.close();
      },
    };
    try {
      await until(() => session.status.state === 'connected' && fake.subscriptions().length === 1, 'connected and subscribed');
      await runMalformed(stream, PER_PROVIDER.dxfeed, 5);
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(consoleErrors, [], 'nothing printed on the console');
  });

  describe('through Node-RED (market-provider + market-stream-in, a Catch node)', () => {
    let fake: FakeBinance;
    afterEach(async () => {
      await helper.unload();
      await fake.close();
    });

    it(`binance: ${THROUGH_NODE_RED} in a live stream; health on output 2 counts them, node.error and the Catch node see one`, async () => {
      fake = await FakeBinance.start();
      fake.list('BTCUSDT');
      const flow = [
        { id: 'f1', type: 'tab', label: 'malformed' },
        { id: 'p1', type: 'market-provider', name: '', provider: 'binance', endpoint: fake.wsUrl, restEndpoint: fake.restUrl, feed: '', options: {} },
        { id: 's1', type: 'market-stream-in', z: 'f1', name: '', provider: 'p1', symbols: 'BTCUSDT', channels: ['trade'], interval: '1m', depth: 5, throttleMs: 0, staleAfter: 60, wires: [['out'], ['status']] },
        { id: 'out', type: 'helper', z: 'f1' },
        { id: 'status', type: 'helper', z: 'f1' },
        { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f1' },
      ];
      await helper.load(allNodes, flow as never);
      const out = collect(helper.getNode('out'));
      const caught = collect(helper.getNode('caught'));
      const node: Node = helper.getNode('s1');
      await until(() => fake.openConnections[0]?.streams.size === 1, 'subscribed');
      const loadedAt = Date.now();
      const random = seededRandom(6);
      const published: number[] = [];
      for (let i = 0; i < THROUGH_NODE_RED; i++) {
        published.push(fake.trade('BTCUSDT'));
        fake.faults.rewriteNext((text) => text.includes('"e":"trade"'), (text) => mutate(text, MUTATION_KINDS[i % MUTATION_KINDS.length] as MutationKind, BINANCE_TRADE, random));
        fake.trade('BTCUSDT');
        if (i % 100 === 99) await until(() => out.msgs.length === published.length, `${published.length} trades`);
      }
      await until(() => out.msgs.length === published.length, 'every good trade');
      assert.deepEqual(payloads(out).map((p) => Number(p.id)), published);
      // The health msg comes every 10 s on output 2; it counts every malformed frame.
      await until(() => sentOn(node, 1).some((p) => p.type === 'health'), 'a health msg', 15_000);
      const health = sentOn(node, 1).find((p) => p.type === 'health')!;
      assert.equal(health.errors, THROUGH_NODE_RED);
      assert.ok(Date.now() - loadedAt < 60_000, 'all within one minute: one node.error is the rate limit');
      const errors = callsOf(node, 'error');
      assert.equal(errors.length, 1, `node.error ${errors.length} times for ${THROUGH_NODE_RED} malformed frames`);
      assert.match(String(errors[0]![0]), /^Binance sent .*; it was skipped$/);
      assert.equal(caught.msgs.length, 1, 'the Catch node got the one msg');
      assert.equal((caught.msgs[0]!.payload as { code: string }).code, 'PROTOCOL');
      assert.equal(callsOf(helper.getNode('p1'), 'warn').length, 0, 'nothing in the log or the debug sidebar per frame');
      assert.equal(fake.connections.length, 1);
    });
  });
});

/** Steps the market until the node's newest book is the true book now (a skipped update shows at the next one). */
async function settleBook(last: () => BookEvent | undefined, truth: () => { bids: Array<[number, number]>; asks: Array<[number, number]> }, step: () => void): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    step();
    const same = (): boolean => {
      const book = last();
      return !!book && JSON.stringify({ bids: book.bids, asks: book.asks }) === JSON.stringify(truth());
    };
    if (await within(same, 50)) return;
  }
  assert.fail('the book never came back to the true book');
}
