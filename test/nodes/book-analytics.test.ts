import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { BookAlert, BookMetrics } from '../../src/analytics/book-metrics';
import type { BookEvent } from '../../src/model/events';
import { callsOf, collect, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { everyNode, flowTab, helperNodes, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

type MetricsMsg = NodeMessage & { payload: BookMetrics; event: BookEvent };
type AlertMsg = NodeMessage & { payload: BookAlert; event: BookEvent };

const analytics = (id: string, wires: string[][], extra: Record<string, unknown> = {}) => ({
  id,
  type: 'market-book-analytics',
  z: 'f1',
  name: '',
  levels: 10,
  bandBps: 10,
  rateMs: 1000,
  spreadBpsAlert: 0,
  imbalanceAlert: 0.6,
  hysteresis: 0.2,
  cooldownS: 30,
  wires,
  ...extra,
});
const load = (flow: FlowNodes) => helper.load(everyNode, flow as never);
const sum = (levels: Array<[number, number]>, n: number) => levels.slice(0, n).reduce((total, [, size]) => total + size, 0);

describe('market-book-analytics node (Node-RED runtime, simulator)', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('computes book metrics at most once per second of book time per symbol, from the book it forwards', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'BTC-USD, AAPL', ['book'], [['ba', 'books'], ['ba']]),
      analytics('ba', [['metrics'], ['alerts']], { levels: 5 }),
      ...helperNodes('books', 'metrics', 'alerts'),
    ]);
    const books = collect(helper.getNode('books'));
    const metrics = collect(helper.getNode('metrics'));
    await waitFor(() => metrics.msgs.filter((m) => m.topic === 'AAPL').length >= 40 && metrics.msgs.filter((m) => m.topic === 'BTC-USD').length >= 40, '40 metrics per symbol', 20_000);
    await helper.unload();
    for (const msg of metrics.msgs as MetricsMsg[]) {
      const { payload: m, event: book } = msg;
      assert.equal(book.type, 'book', 'msg.event is the book the metrics come from');
      assert.equal(msg.topic, book.symbol);
      assert.equal(m.symbol, book.symbol);
      assert.equal(m.ts, book.ts);
      assert.equal(m.bestBid, book.bids[0]![0]);
      assert.equal(m.bestAsk, book.asks[0]![0]);
      const b = sum(book.bids, 5);
      const a = sum(book.asks, 5);
      assert.ok(Math.abs((m.imbalance as number) - (b - a) / (b + a)) < 1e-9, 'imbalance of the top 5 levels');
      assert.ok(Math.abs((m.spreadBps as number) - ((book.asks[0]![0] - book.bids[0]![0]) / (m.mid as number)) * 10_000) < 1e-6);
      assert.equal(m.bidDepth.length, 5);
      assert.ok(m.bestBid! < m.microprice! && m.microprice! < m.bestAsk!, 'microprice inside the spread');
    }
    // The rate: for each symbol, the first book at least 1 s after the last metrics goes out, and no other.
    for (const symbol of ['BTC-USD', 'AAPL']) {
      const all = books.msgs.map((m) => m.payload as BookEvent).filter((b) => b.symbol === symbol);
      let last = Number.NEGATIVE_INFINITY;
      const expected = all.filter((b) => (b.ts - last >= 1000 ? ((last = b.ts), true) : false)).map((b) => b.ts);
      const sent = (metrics.msgs as MetricsMsg[]).filter((m) => m.topic === symbol).map((m) => m.payload.ts);
      assert.deepEqual(sent, expected.slice(0, sent.length), symbol);
    }
  });

  it('alerts on spread and imbalance with hysteresis and a cooldown, checked against every book', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'BTC-USD, AAPL', ['book'], [['ba', 'books'], ['ba']]),
      analytics('ba', [[], ['alerts']], { spreadBpsAlert: 1, imbalanceAlert: 0.5, cooldownS: 30 }),
      ...helperNodes('books', 'alerts'),
    ]);
    const books = collect(helper.getNode('books'));
    const alerts = collect(helper.getNode('alerts'));
    const count = (kind: string) => alerts.msgs.filter((m) => (m.payload as BookAlert).kind === kind).length;
    await waitFor(() => count('spread') >= 4 && count('imbalance') >= 6, 'spread and imbalance alerts', 20_000);
    await helper.unload();
    const measures = {
      spread: (b: BookEvent) => ((b.asks[0]![0] - b.bids[0]![0]) / ((b.asks[0]![0] + b.bids[0]![0]) / 2)) * 10_000,
      imbalance: (b: BookEvent) => Math.abs((sum(b.bids, 10) - sum(b.asks, 10)) / (sum(b.bids, 10) + sum(b.asks, 10))),
    };
    for (const kind of ['spread', 'imbalance'] as const) {
      const threshold = kind === 'spread' ? 1 : 0.5;
      for (const symbol of ['BTC-USD', 'AAPL']) {
        const list = (alerts.msgs as AlertMsg[]).filter((m) => m.payload.kind === kind && m.payload.symbol === symbol);
        const all = books.msgs.map((m) => m.payload as BookEvent).filter((b) => b.symbol === symbol);
        list.forEach((alert, i) => {
          assert.ok(measures[kind](alert.event) > threshold, `${symbol} ${kind} alert above its threshold`);
          assert.equal(alert.payload.ts, alert.event.ts);
          if (i === 0) return;
          const previous = list[i - 1]!.payload.ts;
          assert.ok(alert.payload.ts - previous >= 30_000, `${symbol} ${kind}: cooldown`);
          const between = all.filter((b) => b.ts > previous && b.ts < alert.payload.ts);
          assert.ok(between.some((b) => measures[kind](b) <= threshold * 0.8 + 1e-9), `${symbol} ${kind}: re-armed in between`);
        });
      }
    }
  });

  it('stops computing when a book loses sync, alerts, and alerts again with the next book', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'BTC-USD', ['book'], [['ba'], ['ba']]),
      analytics('ba', [['metrics', 'ordered'], ['alerts', 'ordered']], { rateMs: 60_000, imbalanceAlert: 0 }),
      ...helperNodes('metrics', 'alerts', 'ordered'),
    ]);
    const metrics = collect(helper.getNode('metrics'));
    const ordered = collect(helper.getNode('ordered'));
    await waitFor(() => metrics.msgs.length >= 1, 'first metrics');
    const node = helper.getNode('ba');
    node.receive({ topic: 'BTC-USD', payload: { type: 'status', state: 'resyncing', symbol: 'BTC-USD', detail: 'sequence gap', ts: Date.now() } } as never);
    await waitFor(() => metrics.msgs.length >= 2, 'metrics right after the resync, despite a 60 s rate');
    const kinds = ordered.msgs.map((m) => {
      const p = m.payload as BookAlert | BookMetrics;
      return p.type === 'alert' ? `${p.kind}:${p.state}` : p.type;
    });
    // The book that brings it back goes out on both outputs at once: metrics first, then the alert.
    assert.deepEqual(kinds.slice(0, 4), ['bookMetrics', 'sync:resyncing', 'bookMetrics', 'sync:synced']);
    const lost = ordered.msgs[1] as NodeMessage & { payload: BookAlert; event: { state: string } };
    assert.match(lost.payload.detail, /BTC-USD: book out of sync \(sequence gap\)/);
    assert.equal(lost.event.state, 'resyncing', 'msg.event is the status that raised it');
    const back = ordered.msgs[3] as AlertMsg;
    assert.equal(back.payload.ts, (ordered.msgs[2] as MetricsMsg).payload.ts, 'the book that brought it back');
    assert.deepEqual(back.event, (ordered.msgs[2] as MetricsMsg).event);
    const shows = (text: string) => callsOf(node, 'status').some((args) => (args[0] as { text: string }).text === text);
    await waitFor(() => shows('market-book-analytics.status.counts'), 'a green status with the counts', 3_000);
  });

  it('ignores other events but says so in its status; rejects a bad setting', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'BTC-USD', ['quote'], [['ba'], ['ba']]),
      analytics('ba', [['metrics'], []]),
      analytics('bad', [[], []], { imbalanceAlert: 1.5 }),
      ...helperNodes('metrics'),
    ]);
    const node = helper.getNode('ba');
    await waitFor(() => callsOf(node, 'status').some((args) => (args[0] as { text: string }).text === 'market-book-analytics.status.notBook'), 'a status that says no book came', 5_000);
    assert.equal(collect(helper.getNode('metrics')).msgs.length, 0);
    assert.equal(callsOf(node, 'error').length, 0);
    const bad = helper.getNode('bad');
    assert.match(String(callsOf(bad, 'error')[0]![0]), /Imbalance alert \(imbalanceAlert\) must be a number from 0 to 0.999/);
    assert.deepEqual(callsOf(bad, 'status').at(-1)![0], { fill: 'red', shape: 'dot', text: 'market-book-analytics.status.configError' });
  });

  it('rejects books with invalid levels through done(err), so a Catch node sees which level is wrong, and computes nothing from them', async () => {
    await load([
      flowTab,
      simProvider(),
      analytics('ba', [['metrics'], []]),
      { id: 'c1', type: 'catch', z: 'f1', scope: ['ba'], uncaught: false, wires: [['caught']] },
      ...helperNodes('metrics', 'caught'),
    ]);
    const caught = collect(helper.getNode('caught'));
    const metrics = collect(helper.getNode('metrics'));
    const node = helper.getNode('ba');
    const book = (bids: unknown[], asks: unknown[]) => ({ payload: { type: 'book', provider: 'sim', symbol: 'X', ts: 1, receivedAt: 1, depth: 10, bids, asks } });
    // The example: a non-numeric bid level, a negative ask size, a null ask price.
    node.receive(book([['a', 'b'], [100, 5]], [[99, -5], [null, 1]]) as never);
    node.receive(book([[100, 5]], [[101, -5]]) as never);
    node.receive(book([[100, 5]], [[null, 1]]) as never);
    node.receive(book([[Number.NaN, 5]], [[101, 1]]) as never);
    node.receive(book([[100, 5]], [[-101, 1]]) as never);
    await waitFor(() => caught.msgs.length >= 5, 'five caught errors');
    const messages = caught.msgs.map((m) => (m as unknown as { error: { message: string } }).error.message);
    assert.deepEqual(messages, [
      'Error: book msg for X has an invalid level: bids[0] ["a","b"]: price is not a number (got "a")',
      'Error: book msg for X has an invalid level: asks[0] [101,-5]: size is negative',
      'Error: book msg for X has an invalid level: asks[0] [null,1]: price is not a number (got null)',
      'Error: book msg for X has an invalid level: bids[0] [null,5]: price is not a number (got NaN)',
      'Error: book msg for X has an invalid level: asks[0] [-101,1]: price is negative',
    ]);
    assert.equal(metrics.msgs.length, 0, 'no metrics (no NaN mid) from a bad book');
    node.receive(book([[100, 5]], [[101, 1]]) as never);
    await waitFor(() => metrics.msgs.length === 1, 'a valid book still works');
    assert.equal((metrics.msgs[0] as MetricsMsg).payload.mid, 100.5);
  });

  it('leaves no timer behind when the flow stops', async () => {
    await sleep(1);
    const before = activeHandles();
    await load([flowTab, simProvider(), streamIn('s1', 'BTC-USD', ['book'], [['ba'], ['ba']]), analytics('ba', [['metrics'], []]), ...helperNodes('metrics')]);
    const metrics = collect(helper.getNode('metrics'));
    await waitFor(() => metrics.msgs.length > 3, 'metrics');
    await helper.unload();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'Immediate']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
  });
});
