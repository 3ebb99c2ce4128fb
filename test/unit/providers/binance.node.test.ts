import assert from 'node:assert/strict';
import { registerProvider } from '../../../src/providers/registry';
import { createBinanceProvider } from '../../../src/providers/binance';
import { FakeBinance } from '../../fakes/binance/server';
import { allNodes, callsOf, collect, helper, payloads, sentOn } from '../../helpers/node-red';
import { until } from './harness';
import { catchAll, flowTab, providerNode, streamNode, type Flow } from './venue-nodes';

describe('binance through Node-RED (market-provider + market-stream-in on the fake)', function () {
  this.timeout(20_000);
  let fake: FakeBinance;
  let unregister: (() => void) | null = null;

  afterEach(async () => {
    await helper.unload();
    unregister?.();
    unregister = null;
    await fake.close();
  });

  it('streams trades and synced books; an unknown symbol gets node.error in Binance\'s words while the other keeps streaming', async () => {
    fake = await FakeBinance.start();
    fake.list('BTCUSDT');
    unregister = registerProvider(createBinanceProvider({ verifyAfterMs: 300 }));
    const flow: Flow = [flowTab, providerNode('binance', fake.wsUrl, fake.restUrl), ...streamNode('s1', 'btcusdt, NOPEUSDT', ['trade', 'book']), ...catchAll];
    await helper.load(allNodes, flow as never);
    const out = collect(helper.getNode('s1-out'));
    const caught = collect(helper.getNode('c1-out'));
    const node = helper.getNode('s1');
    await until(() => fake.openConnections[0]?.streams.size === 4, 'four streams subscribed');
    const pump = setInterval(() => {
      fake.trade('BTCUSDT');
      fake.bookStep('BTCUSDT');
    }, 5);
    try {
      await until(() => caught.msgs.length === 1 && payloads(out).filter((p) => p.type === 'book').length > 20, 'the error and books');
      const mark = out.msgs.length;
      await until(() => out.msgs.length > mark + 20, 'still streaming after the error');
    } finally {
      clearInterval(pump);
    }
    const errors = callsOf(node, 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]![0]), /unknown symbol NOPEUSDT \(Binance says: "Invalid symbol\."\)/);
    const error = caught.msgs[0] as unknown as { topic: string; payload: { code: string; symbol: string; reason: string } };
    assert.deepEqual([error.topic, error.payload.code, error.payload.symbol, error.payload.reason], ['NOPEUSDT', 'SUBSCRIPTION', 'NOPEUSDT', 'Invalid symbol.']);
    assert.deepEqual([...new Set(out.msgs.map((m) => m.topic))], ['BTCUSDT']);
    const books = payloads(out).filter((p) => p.type === 'book') as Array<{ bids: unknown; asks: unknown; depth: number; seq: number }>;
    for (const book of books) {
      const truth = fake.history.get('BTCUSDT')!.get(book.seq)!;
      assert.equal(book.depth, 5);
      assert.deepEqual({ bids: book.bids, asks: book.asks }, { bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) }, `book ${book.seq} is the true book`);
    }
    assert.deepEqual(sentOn(node, 1).filter((p) => p.type === 'status' && !p.symbol).map((p) => p.state), ['connecting', 'connected']);
    await helper.unload();
    await until(() => fake.openConnections.length === 0, 'the connection closed with the flow');
  });
});
