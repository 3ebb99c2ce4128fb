import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { callsOf, collect, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { translated } from '../helpers/locales';
import { alertNode, everyNode, flowTab, helperNodes, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

type AlertMsg = NodeMessage & { topic: string; payload: string; html: string; telegram: Record<string, unknown>; alert: { key: string; summary: { count: number } | null; event: Record<string, unknown> } };

const alertNodeDef = (id: string, wires: string[][], extra: Record<string, unknown> = {}) => ({ id, type: 'market-alert', z: 'f1', name: '', cooldownS: 60, maxPerMin: 0, quietHours: '', timeZone: 'UTC', key: '', chatId: '', wires, ...extra });
const load = (flow: FlowNodes) => helper.load(everyNode, flow as never);

const whalePayload = { type: 'flow', provider: 'sim', symbol: 'SPY   261120C00600000', option: { underlying: 'SPY' }, ts: 0, price: 4.2, size: 250, premiumUsd: 105_000, kind: 'SWEEP', whale: true };

describe('market-alert node (Node-RED runtime)', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('turns simulator whale prints from flow-classify into ready messages with subject, text, html and the Telegram body', async () => {
    await load([
      flowTab,
      simProvider(),
      streamIn('s1', 'SPY*', ['quote', 'trade'], [['fc'], []]),
      { id: 'fc', type: 'market-flow-classify', z: 'f1', name: '', statsEveryS: 0, wires: [[], ['al'], []] },
      alertNodeDef('al', [['out']], { cooldownS: 1, key: 'payload.symbol', chatId: '-100123' }),
      ...helperNodes('out'),
    ]);
    const out = collect(helper.getNode('out'));
    await waitFor(() => out.msgs.length >= 3, '3 whale alerts', 20_000);
    await helper.unload();
    for (const msg of out.msgs as AlertMsg[]) {
      if (msg.alert.summary) continue;
      const whale = msg.alert.event;
      assert.equal(whale['whale'], true);
      const premium = `$${Math.round(whale['premiumUsd'] as number).toLocaleString('en-US')}`;
      for (const part of [String(whale['symbol']), `${String(whale['size'])} contracts`, premium]) {
        assert.ok(msg.topic.includes(part), `${msg.topic} lacks ${part}`);
        assert.ok(msg.payload.includes(part), `${msg.payload} lacks ${part}`);
      }
      assert.deepEqual(msg.telegram, { chat_id: '-100123', text: msg.html, parse_mode: 'HTML' });
      assert.ok(msg.html.startsWith('<b>Whale '));
    }
  });

  it('sends 1 alert and, when the cooldown ends, 1 summary for 100 identical whale alerts; ignores quotes', async () => {
    await load([flowTab, alertNodeDef('al', [['out']], { cooldownS: 1 }), ...helperNodes('out')]);
    const al = helper.getNode('al');
    const out = collect(helper.getNode('out'));
    al.receive({ payload: { type: 'quote', symbol: 'SPY', bid: 1, ask: 2 } } as never);
    for (let i = 0; i < 100; i += 1) al.receive({ payload: { ...whalePayload } } as never);
    await waitFor(() => out.msgs.length >= 2, 'the summary', 5_000);
    await sleep(1_300);
    const msgs = out.msgs as AlertMsg[];
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]?.alert.summary, null);
    assert.equal(msgs[1]?.alert.summary?.count, 99);
    assert.equal(msgs[1]?.topic, '99 more whale prints on SPY in the last 1 s');
    assert.equal(msgs[1]?.payload, msgs[1]?.topic);
    assert.equal('chat_id' in (msgs[1]?.telegram ?? {}), false, 'no chat_id unless configured');
  });

  it('shows a config error for bad quiet hours and answers msgs with the not-running error', async () => {
    await helper.load([translated(alertNode, 'alert')], [flowTab, alertNodeDef('bad', [[]], { quietHours: 'night' })] as never);
    const bad = helper.getNode('bad');
    bad.receive({ payload: { ...whalePayload } } as never);
    await waitFor(() => callsOf(bad, 'error').length >= 2, 'the config error and the not-running error', 3_000);
    const statuses = callsOf(bad, 'status').map((args) => (args[0] as { text?: string }).text);
    assert.ok(statuses.includes('config error'), statuses.join(', '));
    const errors = callsOf(bad, 'error').map((args) => (args[0] instanceof Error ? args[0].message : String(args[0])));
    assert.ok(errors.some((e) => /expected HH:MM-HH:MM/.test(e)), errors.join(' | '));
    assert.ok(errors.some((e) => /^This node is not running because of a configuration error/.test(e)), errors.join(' | '));
  });

  it('leaves no timer behind after a close with windows still open', async () => {
    await sleep(1);
    const before = activeHandles();
    await load([flowTab, alertNodeDef('al', [['out']], { cooldownS: 600 }), ...helperNodes('out')]);
    const al = helper.getNode('al');
    al.receive({ payload: { ...whalePayload } } as never);
    al.receive({ payload: { ...whalePayload } } as never);
    await helper.unload();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['Timeout', 'Immediate']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
  });
});
