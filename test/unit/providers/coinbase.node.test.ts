import assert from 'node:assert/strict';
import { FakeCoinbase } from '../../fakes/coinbase/server';
import { allNodes, callsOf, collect, helper, payloads, sentOn } from '../../helpers/node-red';
import { until } from './harness';
import { catchAll, flowTab, providerNode, streamNode, type Flow } from './venue-nodes';

describe('coinbase through Node-RED (market-provider + market-stream-in on the fake)', function () {
  this.timeout(20_000);
  let fake: FakeCoinbase;

  afterEach(async () => {
    await helper.unload();
    await fake.close();
  });

  it('streams trades and synced books; an unknown product gets node.error in Coinbase\'s words while the other keeps streaming', async () => {
    fake = await FakeCoinbase.start();
    fake.list('BTC-USD');
    const flow: Flow = [flowTab, providerNode('coinbase', fake.url), ...streamNode('s1', 'BTC-USD, nope-usd', ['trade', 'book']), ...catchAll];
    await helper.load(allNodes, flow as never);
    const out = collect(helper.getNode('s1-out'));
    const caught = collect(helper.getNode('c1-out'));
    const node = helper.getNode('s1');
    await until(() => fake.openConnections[0]?.channels.get('level2')?.has('BTC-USD') === true && fake.openConnections[0]!.channels.get('market_trades')?.has('BTC-USD') === true, 'subscribed');
    const pump = setInterval(() => {
      fake.trade('BTC-USD');
      fake.bookStep('BTC-USD');
    }, 5);
    try {
      await until(() => caught.msgs.length === 2 && payloads(out).filter((p) => p.type === 'book').length > 20 && payloads(out).filter((p) => p.type === 'trade').length > 20, 'errors, books and trades');
    } finally {
      clearInterval(pump);
    }
    const errors = callsOf(node, 'error').map((args) => String(args[0]));
    assert.deepEqual(errors.sort(), [
      'Coinbase refused level2 for NOPE-USD: "failure to subscribe"; check the product id, e.g. BTC-USD',
      'Coinbase refused market_trades for NOPE-USD: "failure to subscribe"; check the product id, e.g. BTC-USD',
    ]);
    assert.deepEqual(caught.msgs.map((m) => m.topic), ['NOPE-USD', 'NOPE-USD']);
    assert.deepEqual([...new Set(out.msgs.map((m) => m.topic))], ['BTC-USD']);
    const connection = fake.connections[0]!;
    for (const book of payloads(out).filter((p) => p.type === 'book') as Array<{ bids: unknown; asks: unknown; seq: number }>) {
      const truth = fake.bookHistory.get(`${connection.index}:${book.seq}`)!;
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book ${book.seq} is the true book`);
    }
    assert.deepEqual(sentOn(node, 1).filter((p) => p.type === 'status' && !p.symbol).map((p) => p.state), ['connecting', 'connected']);
    await helper.unload();
    await until(() => fake.openConnections.length === 0, 'the connection closed with the flow');
  });
});
