import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { SignalEvent } from '../../src/analytics/momentum';
import type { TradeEvent } from '../../src/model/events';
import { callsOf, collect, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { everyNode, flowTab, helperNodes, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

type SignalMsg = NodeMessage & { payload: SignalEvent; event: TradeEvent };

const signal = (id: string, wires: string[][], extra: Record<string, unknown> = {}) => ({
  id,
  type: 'market-signal',
  z: 'f1',
  name: '',
  method: 'ema',
  source: 'trade',
  barS: 1,
  lookback: 20,
  fast: 3,
  slow: 8,
  threshold: 0.005,
  hysteresis: 0.2,
  cooldownS: 5,
  warmup: 0,
  wires,
  ...extra,
});
const load = (flow: FlowNodes) => helper.load(everyNode, flow as never);

/** The EMA spread of 1-s bars of trade prices, worked out from the ticks: the last price of each bar, EMAs from the first close. */
function emaSpreadAt(ticks: TradeEvent[], barEnd: number, fast: number, slow: number): number {
  const closes = new Map<number, number>();
  for (const tick of ticks) if (tick.ts < barEnd) closes.set(Math.floor(tick.ts / 1000), tick.price);
  let f = Number.NaN;
  let s = Number.NaN;
  for (const close of closes.values()) {
    f = Number.isNaN(f) ? close : f + (2 / (fast + 1)) * (close - f);
    s = Number.isNaN(s) ? close : s + (2 / (slow + 1)) * (close - s);
  }
  return ((f - s) / s) * 100;
}

describe('market-signal node (Node-RED runtime, simulator)', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('sends EMA crossover signals per symbol only on a change, after the warm-up, with the cooldown', async () => {
    await load([flowTab, simProvider(), streamIn('s1', 'BTC-USD, ETH-USD', ['trade'], [['sig', 'ticks'], []]), signal('sig', [['signals']]), ...helperNodes('ticks', 'signals')]);
    const ticks = collect(helper.getNode('ticks'));
    const signals = collect(helper.getNode('signals'));
    const per = (symbol: string) => (signals.msgs as SignalMsg[]).filter((m) => m.payload.symbol === symbol);
    await waitFor(() => per('BTC-USD').length >= 10 && per('ETH-USD').length >= 10, '10 signals per symbol', 20_000);
    await helper.unload();
    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      const list = per(symbol);
      const trades = ticks.msgs.map((m) => m.payload as TradeEvent).filter((t) => t.symbol === symbol);
      const firstBar = Math.floor(trades[0]!.ts / 1000) * 1000;
      assert.ok(list[0]!.payload.ts >= firstBar + 8_000, `${symbol}: no signal before 8 bars of warm-up`);
      let side = 'flat';
      let lastAt = Number.NEGATIVE_INFINITY;
      for (const msg of list) {
        const s = msg.payload;
        assert.equal(msg.topic, symbol);
        assert.equal(s.previous, side, `${symbol}: each signal follows the one before`);
        assert.notEqual(s.side, s.previous, 'only changes are sent');
        assert.ok(s.ts - lastAt >= 5_000, `${symbol}: cooldown`);
        if (s.side === 'buy') assert.ok(s.value > 0.005 && s.strength >= 1);
        if (s.side === 'sell') assert.ok(s.value < -0.005 && s.strength >= 1);
        // Flat: back inside the hysteresis band on the side it came from, and not beyond the other threshold.
        if (s.side === 'flat') assert.ok(Math.abs(s.value) <= 0.005 && (s.previous === 'buy' ? s.value <= 0.004 : s.value >= -0.004) && s.strength <= 1, JSON.stringify(s));
        assert.equal(msg.event.type, 'trade', 'msg.event is the trade that closed the bar');
        assert.ok(msg.event.ts >= s.ts && msg.event.symbol === symbol);
        assert.ok(Math.abs(s.value - emaSpreadAt(trades, s.ts, 3, 8)) < 1e-6, `${symbol} at ${s.ts}: value from the ticks`);
        side = s.side;
        lastAt = s.ts;
      }
    }
  });

  it('shows the warm-up and then the last signal in its status; rejects fast ≥ slow', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'BTC-USD', ['trade'], [['sig'], []]),
      signal('sig', [['signals']]),
      signal('bad', [[]], { fast: 30, slow: 10 }),
      ...helperNodes('signals'),
    ]);
    const node = helper.getNode('sig');
    const texts = () => callsOf(node, 'status').map((args) => (args[0] as { text: string }).text);
    await waitFor(() => texts().includes('market-signal.status.side'), 'a signal in the status', 10_000);
    assert.equal(texts()[0], 'market-signal.status.waiting');
    const bad = helper.getNode('bad');
    assert.match(String(callsOf(bad, 'error')[0]![0]), /Fast EMA \(fast\) must be shorter than Slow EMA \(slow\), got fast 30 and slow 10/);
  });

  it('leaves no timer behind when the flow stops', async () => {
    await sleep(1);
    const before = activeHandles();
    await load([flowTab, simProvider(), streamIn('s1', 'BTC-USD', ['trade'], [['sig'], []]), signal('sig', [['signals']]), ...helperNodes('signals')]);
    const signals = collect(helper.getNode('signals'));
    await waitFor(() => signals.msgs.length > 2, 'signals');
    await helper.unload();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'Immediate']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
  });
});
