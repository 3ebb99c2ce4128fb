import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { FlowEvent } from '../../src/analytics/flow-classifier';
import type { FlowStats } from '../../src/analytics/flow-stats';
import type { MarketEvent } from '../../src/model/events';
import { isSimPrint, type SimTradeEvent } from '../../src/providers/sim/flow-plan';
import { FLOW_KINDS } from '../../src/model/flow';
import { callsOf, collect, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { everyNode, flowTab, helperNodes, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

type FlowMsg = NodeMessage & { payload: FlowEvent; trades: SimTradeEvent[] };

const classify = (id: string, wires: string[][], extra: Record<string, unknown> = {}) => ({ id, type: 'market-flow-classify', z: 'f1', name: '', wires, ...extra });
const load = (flow: FlowNodes) => helper.load(everyNode, flow as never);

describe('market-flow-classify node (Node-RED runtime, simulator)', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('finds the simulator\'s sweeps, splits, blocks, singles and whales with recall and precision 1.0 at default settings', async () => {
    await load([
      flowTab,
      simProvider({ seed: 1, rate: 'max' }),
      streamIn('s1', 'SPY*, NVDA*', ['quote', 'trade'], [['fc', 'raw'], []]),
      classify('fc', [['flows', 'ordered'], ['whales'], ['stats', 'ordered']]),
      ...helperNodes('raw', 'flows', 'whales', 'stats', 'ordered'),
    ]);
    const raw = collect(helper.getNode('raw'));
    const ordered = collect(helper.getNode('ordered'));
    const flows = collect(helper.getNode('flows'));
    const whales = collect(helper.getNode('whales'));
    const stats = collect(helper.getNode('stats'));
    const predicted = (): FlowMsg[] => flows.msgs as FlowMsg[];
    const enough = (): boolean => {
      const counts: Record<string, number> = {};
      for (const msg of predicted()) counts[msg.payload.kind] = (counts[msg.payload.kind] ?? 0) + 1;
      return FLOW_KINDS.every((kind) => (counts[kind] ?? 0) >= 15) && predicted().filter((m) => m.payload.whale).length >= 15;
    };
    await waitFor(enough, '15 flows of each kind and 15 whales', 25_000);
    await helper.unload();

    // Ground truth: the sim's labels on every print it sent, by order.
    const labelled = new Map<string, { kind: string; whale: boolean; legs: number; firstTs: number; side: string | undefined }>();
    for (const msg of raw.msgs) {
      const event = msg.payload as MarketEvent;
      if (!isSimPrint(event)) continue;
      if (!labelled.has(event.sim.orderId)) labelled.set(event.sim.orderId, { kind: event.sim.kind, whale: event.sim.whale, legs: event.sim.legs, firstTs: event.ts, side: event.side });
    }
    // Score the orders that had time to close: first print at least 2 s before the last flow.
    const cutoff = Math.max(...predicted().map((m) => m.payload.ts)) - 2_000;
    const scored = predicted().filter((m) => m.payload.ts <= cutoff);
    const truth = [...labelled.entries()].filter(([, label]) => label.firstTs <= cutoff);
    const orderOf = (msg: FlowMsg): string | null => {
      const ids = new Set(msg.trades.map((t) => t.sim?.orderId));
      return ids.size === 1 ? ([...ids][0] ?? null) : null;
    };
    const exact = (msg: FlowMsg): { kind: string; whale: boolean } | null => {
      const id = orderOf(msg);
      const label = id ? labelled.get(id) : undefined;
      return label && label.legs === msg.trades.length && msg.payload.prints === label.legs ? label : null;
    };
    const score = (hit: (msg: FlowMsg) => boolean, truthHas: (label: { kind: string; whale: boolean }) => boolean) => {
      const positives = scored.filter(hit);
      const truePositives = positives.filter((msg) => {
        const label = exact(msg);
        return label !== null && truthHas(label);
      }).length;
      const actual = truth.filter(([, label]) => truthHas(label)).length;
      return { precision: truePositives / positives.length, recall: truePositives / actual, positives: positives.length, actual };
    };
    for (const kind of FLOW_KINDS) {
      const s = score((m) => m.payload.kind === kind, (label) => label.kind === kind);
      assert.ok(s.actual >= 10, `${kind}: ${s.actual} labelled orders`);
      assert.deepEqual([s.precision, s.recall], [1, 1], `${kind}: ${JSON.stringify(s)}`);
    }
    const w = score((m) => m.payload.whale, (label) => label.whale);
    assert.ok(w.actual >= 10, `${w.actual} whales`);
    assert.deepEqual([w.precision, w.recall], [1, 1], `whales: ${JSON.stringify(w)}`);
    assert.equal(scored.length, truth.length, 'one flow per order');

    // Every sim print is at the ask (buy), the bid (sell) or the mid: the side must say so.
    for (const msg of predicted()) {
      const label = labelled.get(orderOf(msg) ?? '');
      const expected = label?.side === 'buy' ? 'ask' : label?.side === 'sell' ? 'bid' : 'mid';
      assert.equal(msg.payload.side, expected, msg.payload.explain);
      assert.equal(msg.topic, msg.payload.symbol);
      assert.ok(msg.payload.underlyingPrice !== null && msg.payload.moneyness !== null, 'the sim sends underlyingPrice');
      assert.ok(msg.payload.dte >= 0 && msg.payload.dte <= 40);
    }
    // Output 2 carries exactly the whales of output 1.
    const whaleKeys = (msgs: NodeMessage[]) => msgs.map((m) => `${(m.payload as FlowEvent).symbol}@${(m.payload as FlowEvent).ts}`);
    assert.deepEqual(whaleKeys(whales.msgs), whaleKeys(predicted().filter((m) => m.payload.whale)));
    // Output 3: rolling statistics that add up with the flows inside their window.
    assert.ok(stats.msgs.length >= 3, `${stats.msgs.length} stats msgs`);
    const last = ordered.msgs.map((m) => m.topic).lastIndexOf('flowStats');
    const snapshot = ordered.msgs[last]!.payload as FlowStats;
    const sentBefore = ordered.msgs.slice(0, last).filter((m) => (m.payload as FlowEvent).type === 'flow') as FlowMsg[];
    const inWindow = sentBefore.filter((m) => m.payload.ts >= snapshot.from && m.payload.ts <= snapshot.ts);
    assert.ok(inWindow.length > 20 && snapshot.ts - snapshot.from >= 295_000, `${inWindow.length} flows in the last 5 min window`);
    assert.equal(snapshot.flows, inWindow.length);
    assert.equal(snapshot.whales, inWindow.filter((m) => m.payload.whale).length);
    const callVolume = inWindow.filter((m) => m.payload.option.right === 'call').reduce((sum, m) => sum + m.payload.size, 0);
    assert.equal(snapshot.callVolume, callVolume);
    assert.equal(snapshot.topContracts.length, 5);
  });

  it('forwards the first print\'s msg with the flow as payload and the prints in msg.trades', async () => {
    await load([flowTab, simProvider(), classify('fc', [['flows'], ['whales'], ['stats']]), ...helperNodes('flows', 'whales', 'stats')]);
    const flows = collect(helper.getNode('flows'));
    const whales = collect(helper.getNode('whales'));
    const node = helper.getNode('fc');
    const option = { underlying: 'SPY', expiry: '2026-11-27', right: 'call', strike: 600, multiplier: 100 };
    const t0 = Date.UTC(2026, 10, 20, 15, 0, 0);
    const trade = (ts: number, exchange: string, size: number) => ({ type: 'trade', provider: 'test', symbol: 'SPY   261127C00600000', option, ts, receivedAt: ts, price: 5, size, exchange, underlyingPrice: 600 });
    node.receive({ topic: 'SPY   261127C00600000', payload: { type: 'quote', provider: 'test', symbol: 'SPY   261127C00600000', option, ts: t0 - 10, receivedAt: t0, bid: 4.9, bidSize: 1, ask: 5, askSize: 1 } } as never);
    node.receive({ topic: 'x', payload: trade(t0, 'CBOE', 150), userField: 'kept' } as never);
    node.receive({ topic: 'x', payload: trade(t0 + 20, 'ISE', 100) } as never);
    await waitFor(() => flows.msgs.length === 1, 'the sweep, closed by the wall clock', 5_000);
    const msg = flows.msgs[0] as FlowMsg & { userField?: string };
    assert.equal(msg.userField, 'kept', 'the incoming msg is enriched, not replaced');
    assert.equal(msg.topic, 'SPY   261127C00600000');
    assert.equal(msg.payload.kind, 'SWEEP');
    assert.equal(msg.payload.premiumUsd, 125_000);
    assert.deepEqual(msg.trades.map((t) => t.exchange), ['CBOE', 'ISE']);
    await waitFor(() => whales.msgs.length === 1, '$125,000: a whale on output 2 too');
    assert.equal((whales.msgs[0]!.payload as FlowEvent).ts, msg.payload.ts);
  });

  describe('completing msgs (done)', () => {
    const option = { underlying: 'SPY', expiry: '2026-11-27', right: 'call', strike: 600, multiplier: 100 };
    const contract = 'SPY   261127C00600000';
    const t0 = Date.UTC(2026, 10, 20, 15, 0, 0);
    const print = (ts: number, exchange: string) => ({ type: 'trade', provider: 'test', symbol: contract, option, ts, receivedAt: ts, price: 5, size: 100, exchange });
    // The msgs of one order's two prints, and msgs that hold nothing: a quote, the underlying's print, a book.
    const inputs = () => [
      { tag: 'quote', payload: { type: 'quote', provider: 'test', symbol: contract, option, ts: t0 - 10, receivedAt: t0, bid: 4.9, bidSize: 1, ask: 5, askSize: 1 } },
      { tag: 'print1', payload: print(t0, 'CBOE') },
      { tag: 'underlying', payload: { type: 'trade', provider: 'test', symbol: 'SPY', ts: t0 + 5, receivedAt: t0, price: 600, size: 10 } },
      { tag: 'book', payload: { type: 'book', provider: 'test', symbol: 'SPY', ts: t0 + 6, receivedAt: t0, bids: [[600, 1]], asks: [[600.01, 1]], depth: 1 } },
      { tag: 'print2', payload: print(t0 + 20, 'ISE') },
    ];
    const completeNode = { id: 'cmp', type: 'complete', z: 'f1', scope: ['fc'], uncaught: false, wires: [['completed']] };
    /** One log of what reached the flows helper and the Complete node, in delivery order. */
    const watch = (): string[] => {
      const log: string[] = [];
      helper.getNode('flows').on('input', (msg: NodeMessage) => log.push(`flow:${(msg as NodeMessage & { tag: string }).tag}`));
      helper.getNode('completed').on('input', (msg: NodeMessage) => log.push(`complete:${(msg as NodeMessage & { tag: string }).tag}`));
      return log;
    };

    it('completes a print\'s msg after the flow it is part of has been sent, and other msgs at once', async () => {
      await load([flowTab, classify('fc', [['flows'], [], []]), completeNode, ...helperNodes('flows', 'completed')]);
      const log = watch();
      const node = helper.getNode('fc');
      for (const msg of inputs()) node.receive(msg as never);
      await waitFor(() => log.length === 6, 'the flow and five completions', 5_000);
      // The flow goes out in print1's msg.
      assert.deepEqual(log.slice(0, 3).sort(), ['complete:book', 'complete:quote', 'complete:underlying'], log.join(', '));
      assert.deepEqual(log.slice(3), ['flow:print1', 'complete:print1', 'complete:print2']);
    });

    it('completes the prints of an order still open when the node is redeployed, so nothing waits for them', async () => {
      const flow = (windowMs: number) => [flowTab, classify('fc', [['flows'], [], []], { windowMs }), completeNode, ...helperNodes('flows', 'completed')];
      await load(flow(60_000));
      const log = watch();
      const node = helper.getNode('fc');
      for (const msg of inputs()) node.receive(msg as never);
      await waitFor(() => log.length === 3, 'the msgs that hold nothing');
      await sleep(200);
      assert.equal(log.length, 3, 'the prints wait for their order (60 s window)');
      await helper.setFlows(flow(59_000) as never, 'nodes');
      await waitFor(() => log.length === 5, 'the held prints completed on close');
      assert.deepEqual(log.slice(3).sort(), ['complete:print1', 'complete:print2']);
    });
  });

  it('reports bad input once a minute through done(err), so a Catch node sees it', async () => {
    await load([
      flowTab,
      simProvider(),
      classify('fc', [['flows'], [], []]),
      { id: 'c1', type: 'catch', z: 'f1', scope: ['fc'], uncaught: false, wires: [['caught']] },
      ...helperNodes('flows', 'caught'),
    ]);
    const caught = collect(helper.getNode('caught'));
    const node = helper.getNode('fc');
    for (let i = 0; i < 5; i++) node.receive({ payload: { type: 'trade', symbol: 'X', ts: 1, price: 'oops', size: 1 } } as never);
    node.receive({ payload: 42 } as never);
    node.receive({ payload: { type: 'status', state: 'connected', detail: '' } } as never);
    await waitFor(() => caught.msgs.length >= 2, 'caught errors');
    await sleep(30);
    const messages = caught.msgs.map((m) => (m as unknown as { error: { message: string } }).error.message);
    assert.equal(messages.length, 2, 'the same problem once, then the next one');
    assert.match(messages[0]!, /trade msg for X has no usable price and size/);
    assert.match(messages[1]!, /msg.payload is not a market event \(got number\): wire a market-stream-in node's outputs to this node/);
  });

  it('reports a bad setting with a red status and node.error, without crashing', async () => {
    await load([flowTab, classify('fc', [[], [], []], { windowMs: 'soon' })]);
    const node = helper.getNode('fc');
    const errors = callsOf(node, 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]![0]), /Window \(windowMs\) must be a number from 1 to 60000 milliseconds, got "soon"/);
    assert.deepEqual(callsOf(node, 'status').at(-1)![0], { fill: 'red', shape: 'dot', text: 'market-flow-classify.status.configError' });
  });

  it('leaves no timer behind when the flow stops', async () => {
    await sleep(1);
    const before = activeHandles();
    await load([flowTab, simProvider(), streamIn('s1', 'SPY*', ['quote', 'trade'], [['fc'], []]), classify('fc', [['flows'], [], []]), ...helperNodes('flows')]);
    const flows = collect(helper.getNode('flows'));
    await waitFor(() => flows.msgs.length > 5, 'flows');
    await helper.unload();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'Immediate']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
  });
});
