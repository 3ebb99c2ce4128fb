/**
 * Fault suite: 100 redeploys of a flow with four providers (sim, and the binance, coinbase and
 * kraken fakes), one market-stream-in on each: full deploys (every node restarts, every
 * connection closes and reopens), node-only deploys of the stream-in nodes (the shared connection
 * stays up) and node-only deploys of the provider config nodes (their connection is replaced).
 * After each one, msgs flow again on every stream. After the last stop, the process is back to
 * its baseline: active handles (sockets, servers, timers) by kind, sockets open at each fake, and
 * listeners on the shared emitters (RED.events, process).
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { Node, NodeMessage } from 'node-red';
import { FakeBinance } from '../fakes/binance/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { FakeKraken } from '../fakes/kraken/server';
import { allNodes, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';

const REDEPLOYS = 100;
type Flow = Array<Record<string, unknown>>;
type Kind = 'full' | 'streams' | 'providers';

/** Listener counts per event name on an emitter. */
function listeners(emitter: EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) counts[String(name)] = emitter.listenerCount(name);
  return counts;
}

describe(`fault suite: ${REDEPLOYS} redeploys of a four-provider flow`, function () {
  this.timeout(180_000);
  let binance: FakeBinance;
  let coinbase: FakeCoinbase;
  let kraken: FakeKraken;
  let pump: NodeJS.Timeout | null = null;

  afterEach(async () => {
    if (pump) clearInterval(pump);
    pump = null;
    await helper.unload();
    await Promise.all([binance?.close(), coinbase?.close(), kraken?.close()]);
  });

  it('msgs flow after every redeploy; handles, fake connections and listeners back to baseline after the last stop', async () => {
    binance = await FakeBinance.start();
    coinbase = await FakeCoinbase.start();
    kraken = await FakeKraken.start();
    binance.list('BTCUSDT');
    coinbase.list('BTC-USD');
    kraken.list('BTC/USD');
    const startPump = () => {
      pump = setInterval(() => {
        binance.trade('BTCUSDT');
        coinbase.trade('BTC-USD');
        kraken.trade('BTC/USD');
      }, 10);
    };
    const stopPump = () => {
      if (pump) clearInterval(pump);
      pump = null;
    };

    const streams = [
      { id: 'sim', provider: 'sim', symbol: 'BTC-USD', endpoint: '', restEndpoint: '', options: { seed: 3, rate: 20 } },
      { id: 'binance', provider: 'binance', symbol: 'BTCUSDT', endpoint: binance.wsUrl, restEndpoint: binance.restUrl, options: {} },
      { id: 'coinbase', provider: 'coinbase', symbol: 'BTC-USD', endpoint: coinbase.url, restEndpoint: '', options: {} },
      { id: 'kraken', provider: 'kraken', symbol: 'BTC/USD', endpoint: kraken.url, restEndpoint: '', options: {} },
    ];
    const flow = (round: number, kind: Kind): Flow => [
      { id: 'f1', type: 'tab', label: 'redeploys' },
      ...streams.flatMap((s) => [
        { id: `p-${s.id}`, type: 'market-provider', name: kind === 'providers' ? `${s.provider} ${round}` : s.provider, provider: s.provider, endpoint: s.endpoint, restEndpoint: s.restEndpoint, feed: '', options: s.options },
        { id: `s-${s.id}`, type: 'market-stream-in', z: 'f1', name: kind === 'streams' ? `round ${round}` : '', provider: `p-${s.id}`, symbols: s.symbol, channels: ['trade'], interval: '1m', depth: 5, throttleMs: 0, staleAfter: 60, wires: [[`out-${s.id}`], []] },
        { id: `out-${s.id}`, type: 'helper', z: 'f1' },
      ]),
    ];
    /** Resolves once every stream has delivered a msg to its sink. */
    const everyStreamFlowing = async (what: string): Promise<void> => {
      const seen = new Set<string>();
      const detach: Array<() => void> = [];
      for (const s of streams) {
        const sink = helper.getNode(`out-${s.id}`) as Node;
        const onInput = (msg: NodeMessage) => {
          if ((msg.payload as { type?: string }).type === 'trade') seen.add(s.id);
        };
        sink.on('input', onInput);
        detach.push(() => sink.removeListener('input', onInput));
      }
      try {
        await waitFor(() => seen.size === streams.length, `${what}: msgs on every stream (got ${[...seen].join(', ') || 'none'})`, 20_000);
      } finally {
        for (const off of detach) off();
      }
    };
    const everAtFakes = () => binance.connections.length + coinbase.connections.length + kraken.connections.length;
    const openAtFakes = () => ({ binance: binance.openConnections.length, coinbase: coinbase.openConnections.length, kraken: kraken.openConnections.length });
    const snapshot = () => ({ handles: activeHandles(), fakes: openAtFakes(), redEvents: listeners((helper as unknown as { _events: EventEmitter })._events), process: listeners(process) });

    // Warm-up: one deploy and stop, so that lazily created singletons (HTTP agents, module state) exist in the baseline.
    startPump();
    await helper.load(allNodes, flow(0, 'full') as never);
    await everyStreamFlowing('warm-up');
    stopPump();
    await helper.unload();
    await sleep(1);
    await waitFor(() => Object.values(openAtFakes()).every((n) => n === 0), 'warm-up connections closed');
    await sleep(100);
    const baseline = snapshot();

    startPump();
    await helper.load(allNodes, flow(0, 'full') as never);
    await everyStreamFlowing('first deploy');
    const kinds: Kind[] = ['full', 'streams', 'providers'];
    const done = { full: 0, streams: 0, providers: 0 };
    for (let round = 1; round <= REDEPLOYS; round += 1) {
      const kind = kinds[round % kinds.length]!;
      const connectionsBefore = everAtFakes();
      await helper.setFlows(flow(round, kind) as never, kind === 'full' ? 'full' : 'nodes');
      await everyStreamFlowing(`redeploy ${round} (${kind})`);
      if (kind === 'streams') assert.equal(everAtFakes(), connectionsBefore, `redeploy ${round}: redeploying the stream-in nodes kept the connections`);
      else assert.equal(everAtFakes(), connectionsBefore + 3, `redeploy ${round} (${kind}): one new connection per venue`);
      done[kind] += 1;
      // Never more than one connection per provider at a time, whatever the deploy.
      const open = openAtFakes();
      assert.ok(open.binance <= 1 && open.coinbase <= 1 && open.kraken <= 1, `redeploy ${round} (${kind}): ${JSON.stringify(open)} open at the fakes`);
    }
    assert.deepEqual(done, { full: 33, streams: 34, providers: 33 });
    stopPump();
    await helper.unload();
    await sleep(1);

    // Sockets close asynchronously: wait for the count to come back, then compare everything.
    await waitFor(() => JSON.stringify(snapshot()) === JSON.stringify(baseline), 'back to baseline', 10_000).catch(() => undefined);
    if (process.env.FAULTS_REPORT) console.log(JSON.stringify({ baseline, after: snapshot(), connections: everAtFakes() }));
    assert.deepEqual(snapshot(), baseline);
  });
});
