/**
 * The "BTC spread and imbalance across three venues" example, as a user imports it, with only
 * the three providers' endpoints pointed at the local venue fakes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeBinance } from '../fakes/binance/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { FakeKraken } from '../fakes/kraken/server';
import { collect, helper, payloads } from '../helpers/node-red';
import { requireFromNodeRed } from '../helpers/runtime';
import { waitFor } from '../helpers/wait';
import { everyNode } from './analytics-nodes';

const functionNode = requireFromNodeRed('@node-red/nodes/core/function/10-function.js');

type FlowNode = Record<string, unknown> & { id: string; type: string };
const file = path.resolve(__dirname, '../../../examples/btc-spread-and-imbalance-across-three-venues.json');

describe('example: BTC spread and imbalance across three venues', function () {
  this.timeout(30_000);
  let binance: FakeBinance;
  let coinbase: FakeCoinbase;
  let kraken: FakeKraken;

  afterEach(async () => {
    await helper.unload();
    await Promise.all([binance.close(), coinbase.close(), kraken.close()]);
  });

  it('compares the three venues\' books side by side', async () => {
    binance = await FakeBinance.start();
    coinbase = await FakeCoinbase.start();
    kraken = await FakeKraken.start();
    binance.list('BTCUSDT');
    coinbase.list('BTC-USD');
    kraken.list('BTC/USD');
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
    const endpoints: Record<string, { endpoint: string; restEndpoint: string }> = {
      binance: { endpoint: binance.wsUrl, restEndpoint: binance.restUrl },
      coinbase: { endpoint: coinbase.url, restEndpoint: '' },
      kraken: { endpoint: kraken.url, restEndpoint: '' },
    };
    const flow = exported
      .filter((node) => node.type !== 'comment')
      .map((node) => {
        if (node.type === 'debug') return { id: node.id, type: 'helper', z: node.z, name: node.name };
        if (node.type === 'market-provider') return { ...node, ...endpoints[String(node.provider)] };
        return node;
      });
    await helper.load([...everyNode, functionNode], flow as never);
    const sink = (name: string) => collect(helper.getNode(exported.find((n) => n.type === 'debug' && n.name === name)!.id));
    const sideBySide = sink('venues side by side');
    const metrics = sink('book metrics');
    const pump = setInterval(() => {
      binance.bookStep('BTCUSDT');
      coinbase.bookStep('BTC-USD');
      kraken.bookStep('BTC/USD');
    }, 20);
    try {
      await waitFor(() => {
        const last = payloads(sideBySide).at(-1) as { venues?: Record<string, unknown> } | undefined;
        return !!last?.venues && Object.keys(last.venues).length === 3;
      }, 'all three venues compared', 20_000);
    } finally {
      clearInterval(pump);
    }
    const last = payloads(sideBySide).at(-1) as { tightest: string; venues: Record<string, { symbol: string; mid: number; spreadBps: number }> };
    assert.deepEqual(Object.keys(last.venues).sort(), ['binance', 'coinbase', 'kraken']);
    assert.deepEqual(Object.values(last.venues).map((v) => v.symbol).sort(), ['BTC-USD', 'BTC/USD', 'BTCUSDT']);
    for (const venue of Object.values(last.venues)) assert.ok(venue.mid > 0 && venue.spreadBps > 0, JSON.stringify(venue));
    // Every comparison names the tightest of the venues it carries (msgs sent earlier must not
    // change when later books arrive).
    const comparisons = payloads(sideBySide) as Array<typeof last>;
    assert.ok(comparisons.length >= 3);
    for (const comparison of comparisons) {
      const spreads = Object.entries(comparison.venues).map(([name, v]) => [name, v.spreadBps] as const);
      const tightest = spreads.reduce((best, entry) => (entry[1] < best[1] ? entry : best));
      assert.equal(comparison.tightest, tightest[0], JSON.stringify(comparison));
    }
    // The metrics come from synced, uncrossed books only.
    assert.ok(metrics.msgs.length >= 3, `${metrics.msgs.length} metrics msgs`);
    for (const m of payloads(metrics) as Array<{ bestBid: number; bestAsk: number }>) assert.ok(m.bestBid < m.bestAsk);
  });
});
