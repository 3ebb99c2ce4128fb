import assert from 'node:assert/strict';
import type { ProviderConfigNode } from '../../nodes/shared/provider-node';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { allNodes, callsOf, collect, helper, payloads, sentOn } from '../helpers/node-red';

const provider = { id: 'p1', type: 'market-provider', name: 'Sim', provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 5 } };
const stream = (id: string, symbols: string, channels: string[], extra: Record<string, unknown> = {}) => ({
  id,
  type: 'market-stream-in',
  z: 'f1',
  name: '',
  provider: 'p1',
  symbols,
  channels,
  interval: '1m',
  depth: 10,
  throttleMs: 0,
  staleAfter: 60,
  wires: [[`${id}-out`], [`${id}-status`]],
  ...extra,
});
const sinks = (id: string) => [
  { id: `${id}-out`, type: 'helper', z: 'f1' },
  { id: `${id}-status`, type: 'helper', z: 'f1' },
];
const flowTab = { id: 'f1', type: 'tab', label: 'test' };
type Flow = Array<Record<string, unknown>>;
const load = (flow: Flow) => helper.load(allNodes, flow as never);

describe('market-stream-in node (Node-RED runtime)', function () {
  this.timeout(20_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('streams normalized msgs with the symbol as topic, and status on output 2', async () => {
    await load([flowTab, provider, stream('s1', 'BTC-USD, AAPL', ['quote', 'trade']), ...sinks('s1')]);
    const out = collect(helper.getNode('s1-out'));
    await waitFor(() => out.msgs.length >= 20, '20 msgs', 5000);
    for (const msg of out.msgs) {
      const event = msg.payload as { type: string; symbol: string; provider: string; ts: number; receivedAt: number };
      assert.equal(msg.topic, event.symbol);
      assert.ok(['BTC-USD', 'AAPL'].includes(event.symbol));
      assert.ok(['quote', 'trade'].includes(event.type));
      assert.equal(event.provider, 'sim');
      assert.ok(event.ts > 1e12 && event.receivedAt > 1e12);
    }
    assert.deepEqual(sentOn(helper.getNode('s1'), 1).map((p) => p.state), ['connecting', 'connected']);
    const statuses = callsOf(helper.getNode('s1'), 'status').map((args) => args[0] as { fill: string; text: string });
    assert.deepEqual(statuses[0], { fill: 'yellow', shape: 'ring', text: 'market-stream-in.status.connecting' });
    assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: 'market-stream-in.status.live' });
  });

  it('shares one connection and one upstream subscription per channel and symbol between nodes; each gets only its own symbols', async () => {
    await load([
      flowTab,
      provider,
      stream('a', 'BTC-USD, AAPL', ['trade']),
      stream('b', 'BTC-USD, ETH-USD', ['trade']),
      ...sinks('a'),
      ...sinks('b'),
    ]);
    const a = collect(helper.getNode('a-out'));
    const b = collect(helper.getNode('b-out'));
    await waitFor(() => a.msgs.length > 20 && b.msgs.length > 20, 'msgs on both', 8000);
    const session = (helper.getNode('p1') as ProviderConfigNode).session!;
    const stats = session.stats();
    assert.equal(stats.adapterStarts, 1, 'one upstream connection');
    assert.equal(stats.adapter.connections, 1);
    assert.deepEqual(session.upstreamSubscriptions().map((s) => s.key).sort(), ['trade:AAPL', 'trade:BTC-USD', 'trade:ETH-USD']);
    assert.equal(stats.upstreamSubscribes, 3, 'BTC-USD trades subscribed upstream once');
    assert.deepEqual([...new Set(a.msgs.map((m) => m.topic))].sort(), ['AAPL', 'BTC-USD']);
    assert.deepEqual([...new Set(b.msgs.map((m) => m.topic))].sort(), ['BTC-USD', 'ETH-USD']);
    // Both nodes see the very same BTC-USD prints.
    const ids = (c: typeof a) => c.msgs.filter((m) => m.topic === 'BTC-USD').map((m) => (m.payload as { id: string }).id);
    const shared = ids(a).filter((id) => ids(b).includes(id));
    assert.ok(shared.length > 5);
  });

  it('keeps the other node streaming when one node is redeployed', async () => {
    const flow = [flowTab, provider, stream('a', 'BTC-USD', ['trade']), stream('b', 'BTC-USD, ETH-USD', ['trade']), ...sinks('a'), ...sinks('b')];
    await load(flow);
    const b = collect(helper.getNode('b-out'));
    await waitFor(() => b.msgs.length > 10, 'b streaming');
    const session = (helper.getNode('p1') as ProviderConfigNode).session!;
    const modified = [flowTab, provider, stream('a', 'AAPL', ['quote']), stream('b', 'BTC-USD, ETH-USD', ['trade']), ...sinks('a'), ...sinks('b')];
    await helper.setFlows(modified as never, 'nodes');
    const a2 = collect(helper.getNode('a-out'));
    const mark = b.msgs.length;
    await waitFor(() => b.msgs.length > mark + 10 && a2.msgs.length > 5, 'both streaming after the redeploy', 8000);
    assert.equal(session, (helper.getNode('p1') as ProviderConfigNode).session, 'same provider session');
    assert.equal(session.stats().adapterStarts, 1, 'no reconnect');
    assert.deepEqual(sentOn(helper.getNode('b'), 1).map((p) => p.state), ['connecting', 'connected'], 'b never saw a disconnect');
    assert.deepEqual([...new Set(a2.msgs.map((m) => m.topic))], ['AAPL']);
    assert.deepEqual(session.upstreamSubscriptions().map((s) => s.key).sort(), ['quote:AAPL', 'trade:BTC-USD', 'trade:ETH-USD']);
  });

  it('changes subscriptions from an input msg, and rejects a bad one with done(err)', async () => {
    await load([flowTab, provider, stream('s1', 'BTC-USD', ['trade']), ...sinks('s1'), { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['c1-out']] }, { id: 'c1-out', type: 'helper', z: 'f1' }]);
    const out = collect(helper.getNode('s1-out'));
    const caught = collect(helper.getNode('c1-out'));
    const node = helper.getNode('s1');
    node.receive({ payload: { action: 'replace', symbols: ['ETH-USD', 'AAPL'] } } as never);
    await sleep(50);
    const mark = out.msgs.length;
    await waitFor(() => out.msgs.length > mark + 15, 'new symbols');
    assert.deepEqual([...new Set(out.msgs.slice(mark).map((m) => m.topic))].sort(), ['AAPL', 'ETH-USD']);
    node.receive({ payload: { action: 'subscribe', symbols: ['NOPE'] } } as never);
    await waitFor(() => caught.msgs.length === 1, 'caught error');
    const error = caught.msgs[0] as unknown as { error: { message: string } };
    assert.match(error.error.message, /sim has no symbol "NOPE"/);
  });

  it('reports bad configurations with node.error and a red status, and keeps the runtime running', async () => {
    await load([
      flowTab,
      provider,
      { id: 'bad-provider', type: 'market-provider', name: '', provider: 'nasdaq-magic', endpoint: '', restEndpoint: '', feed: '', options: {} },
      { id: 'planned', type: 'market-provider', name: '', provider: 'polygon', endpoint: '', restEndpoint: '', feed: '', options: {} },
      stream('unknown-provider', 'AAPL', ['quote'], { provider: 'bad-provider' }),
      stream('planned-provider', 'AAPL', ['quote'], { provider: 'planned' }),
      stream('no-provider', 'AAPL', ['quote'], { provider: '' }),
      stream('empty-symbols', '  ', ['quote']),
      stream('bad-channel', 'AAPL', ['quote', 'level3']),
      stream('good', 'BTC-USD', ['trade']),
      ...['unknown-provider', 'planned-provider', 'no-provider', 'empty-symbols', 'bad-channel', 'good'].flatMap(sinks),
    ]);
    const good = collect(helper.getNode('good-out'));
    await waitFor(() => good.msgs.length > 3, 'the good node streams');
    const expectations: Record<string, RegExp> = {
      // The helper's RED._ returns i18n keys; the e2e test checks the English text.
      'unknown-provider': /market-provider\.errors\.unknownProvider/,
      'planned-provider': /market-provider\.errors\.planned/,
      'no-provider': /market-stream-in\.errors\.noProvider/,
      'empty-symbols': /no symbols: enter at least one symbol/,
      'bad-channel': /unknown channel "level3"/,
    };
    for (const [id, pattern] of Object.entries(expectations)) {
      const node = helper.getNode(id);
      const errorCalls = callsOf(node, 'error');
      assert.equal(errorCalls.length, 1, `${id}: one error`);
      assert.match(String(errorCalls[0]![0]), pattern);
      assert.deepEqual((errorCalls[0]![1] as { payload: { state: string } }).payload.state, 'error', 'with a msg, so a Catch node sees it');
      assert.deepEqual(callsOf(node, 'status').at(-1)![0], { fill: 'red', shape: 'dot', text: 'market-stream-in.status.configError' });
      assert.equal(collect(helper.getNode(`${id}-out`)).msgs.length, 0);
    }
    // An input msg to a node that is not running is an error, not a crash.
    const broken = helper.getNode('empty-symbols');
    broken.receive({ payload: { action: 'subscribe', symbols: ['AAPL'] } } as never);
    await sleep(20);
    assert.ok(good.msgs.length > 3);
  });

  it('never sends a 0 for a value the source did not send', async () => {
    await load([flowTab, provider, stream('s1', 'SPY*, BTC-USD', ['quote', 'trade', 'summary', 'greeks'].filter((c) => c !== 'greeks')), ...sinks('s1')]);
    const out = collect(helper.getNode('s1-out'));
    await waitFor(() => payloads(out).some((p) => p.type === 'quote' && p.bid === null), 'a quote without a bid', 10_000);
    const numeric = ['bid', 'bidSize', 'ask', 'askSize', 'price', 'size', 'open', 'high', 'low', 'prevClose', 'volume', 'openInterest', 'vwap'];
    for (const payload of payloads(out)) for (const field of numeric) assert.notEqual(payload[field], 0, `${String(payload.type)} ${String(payload.symbol)} ${field}`);
    const noBid = payloads(out).find((p) => p.type === 'quote' && p.bid === null)!;
    assert.equal(noBid.bidSize, null);
    assert.ok(typeof noBid.ask === 'number' && noBid.ask > 0);
  });

  it('closes every socket, timer and listener when the flow stops', async () => {
    await sleep(1);
    const before = activeHandles();
    await load([flowTab, provider, stream('a', 'BTC-USD, SPY*', ['trade', 'quote'], { throttleMs: 200 }), stream('b', 'AAPL', ['book', 'candle'], { interval: '1s' }), ...sinks('a'), ...sinks('b')]);
    const a = collect(helper.getNode('a-out'));
    await waitFor(() => a.msgs.length > 20, 'streaming');
    const providerNode = helper.getNode('p1') as ProviderConfigNode;
    const session = providerNode.session!;
    const processListeners = (): number => process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);
    const processListenersRunning = processListeners();
    // Users register with the config node; none of them adds a listener to it.
    assert.deepEqual(providerNode.eventNames(), []);
    await helper.unload();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'Immediate', 'TCPSocketWrap']) {
      assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
    }
    assert.equal(session.stats().users, 0);
    assert.equal(session.stats().activeUpstream, 0);
    assert.equal(session.status.state, 'closed');
    assert.ok(processListeners() <= processListenersRunning, 'no listener left on process');
  });
});
