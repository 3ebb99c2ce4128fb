import assert from 'node:assert/strict';
import { FakeKraken } from '../../fakes/kraken/server';
import { allNodes, callsOf, collect, helper, payloads, sentOn } from '../../helpers/node-red';
import { until } from './harness';
import { catchAll, flowTab, providerNode, streamNode, type Flow } from './venue-nodes';

describe('kraken through Node-RED (market-provider + market-stream-in on the fake)', function () {
  this.timeout(20_000);
  let fake: FakeKraken;

  afterEach(async () => {
    await helper.unload();
    await fake.close();
  });

  it('streams trades and checksum-verified books; an unknown pair gets node.error in Kraken\'s words while the other keeps streaming', async () => {
    fake = await FakeKraken.start();
    fake.list('ETH/USD');
    const flow: Flow = [flowTab, providerNode('kraken', fake.url), ...streamNode('s1', 'eth/usd, NOPE/USD', ['trade', 'book']), ...catchAll];
    await helper.load(allNodes, flow as never);
    const out = collect(helper.getNode('s1-out'));
    const caught = collect(helper.getNode('c1-out'));
    const node = helper.getNode('s1');
    await until(() => fake.openConnections[0]?.books.has('ETH/USD') === true && fake.openConnections[0]!.channels.get('trade')?.has('ETH/USD') === true, 'subscribed');
    const pump = setInterval(() => {
      fake.trade('ETH/USD');
      fake.bookStep('ETH/USD');
    }, 5);
    try {
      await until(() => caught.msgs.length >= 1 && payloads(out).filter((p) => p.type === 'book').length > 20 && payloads(out).filter((p) => p.type === 'trade').length > 20, 'the refusal, books and trades');
    } finally {
      clearInterval(pump);
    }
    const errors = callsOf(node, 'error').map((args) => String(args[0]));
    assert.deepEqual([...new Set(errors)], ['Kraken refused NOPE/USD: "Currency pair not supported NOPE/USD"; check the pair, e.g. BTC/USD']);
    assert.ok(caught.msgs.every((m) => m.topic === 'NOPE/USD'));
    assert.deepEqual([...new Set(out.msgs.map((m) => m.topic))], ['ETH/USD']);
    for (const book of payloads(out).filter((p) => p.type === 'book') as Array<{ bids: unknown; asks: unknown; ts: number }>) {
      const truth = fake.bookHistory.get(`ETH/USD@${book.ts}`)!;
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book at ${book.ts} is the true book`);
    }
    assert.deepEqual(sentOn(node, 1).filter((p) => p.type === 'status' && !p.symbol).map((p) => p.state), ['connecting', 'connected']);
    await helper.unload();
    await until(() => fake.openConnections.length === 0, 'the connection closed with the flow');
  });
});
