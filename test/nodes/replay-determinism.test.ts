/**
 * Determinism of record → replay (issue 16): a simulator session (seed 1) recorded by
 * market-record, then played twice at "max" through market-flow-classify and market-signal,
 * gives byte-identical output files. Also: market-record on an unwritable path shows a red dot
 * and an error a Catch node sees, and Node-RED keeps running.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { callsOf, collect, helper } from '../helpers/node-red';
import { translated } from '../helpers/locales';
import { sleep, waitFor } from '../helpers/wait';
import { everyNode, flowTab, helperNodes, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const recordNode = require('../../nodes/record/record');
const nodes = [...everyNode, translated(recordNode, 'record')];

const flowClassify = { id: 'fc', type: 'market-flow-classify', z: 'f1', name: '', windowMs: 500, blockMinSize: 250, blockMinPremiumUsd: 100000, whaleMinPremiumUsd: 100000, atmBandPct: 1, statsEveryS: 0, statsWindowS: 300, topContracts: 5, wires: [['flows'], [], []] };
const signal = { id: 'sg', type: 'market-signal', z: 'f1', name: '', method: 'ema', source: 'trade', barS: 1, lookback: 20, fast: 5, slow: 20, threshold: 0.005, hysteresis: 0.2, cooldownS: 10, warmup: 0, wires: [['signals']] };

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('record → replay determinism', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-replay-'));
  const recording = path.join(dir, 'sim-session.ndjson');

  afterEach(async () => {
    await helper.unload();
  });

  it('market-record writes a simulator session (seed 1) with a header and every event it received', async () => {
    const flow: FlowNodes = [
      flowTab,
      simProvider({ seed: 1, rate: 'max' }),
      streamIn('in', 'SPY*, BTC-USD', ['quote', 'trade', 'summary'], [['rec', 'count'], []]),
      { id: 'rec', type: 'market-record', z: 'f1', name: '', path: recording, gzip: true, rotate: 'none', maxSizeMB: 100, wires: [] },
      ...helperNodes('count'),
    ];
    await helper.load(nodes, flow as never);
    const counted = collect(helper.getNode('count'));
    const rec = helper.getNode('rec');
    const received = collect(rec);
    // Msgs still in Node-RED's queue when the flow stops reach a closed node: count up to the close.
    let receivedBeforeClose = -1;
    rec.on('close', () => {
      receivedBeforeClose = received.msgs.length;
    });
    await waitFor(() => counted.msgs.length >= 6_000, '6000 events');
    await helper.unload(); // close flushes and closes the file
    const text = (await import('node:zlib')).gunzipSync(fs.readFileSync(`${recording}.gz`)).toString('utf8').trim().split('\n');
    const header = JSON.parse(text[0] as string) as Record<string, unknown>;
    assert.equal(header.recording, 'market-stream');
    assert.equal(header.provider, 'sim');
    assert.equal(text.length - 1, receivedBeforeClose, 'one line per event market-record received');
    assert.ok(receivedBeforeClose >= 6_000);
  });

  async function replayOnce(outFile: string): Promise<void> {
    const flow: FlowNodes = [
      flowTab,
      { id: 'p1', type: 'market-provider', name: 'Replay', provider: 'replay', endpoint: '', restEndpoint: '', feed: '', options: { file: `${recording}.gz`, speed: 'max' } },
      streamIn('in', 'SPY*, BTC-USD', ['quote', 'trade', 'summary'], [['fc', 'sg'], ['status']]),
      flowClassify,
      signal,
      ...helperNodes('flows', 'signals', 'status'),
    ];
    await helper.load(nodes, flow as never);
    // One file per output: how Node-RED interleaves two nodes' deliveries is not the analytics' output.
    const lines: string[] = [];
    const byOutput: Record<string, string[]> = { flows: [], signals: [] };
    for (const id of ['flows', 'signals']) helper.getNode(id).on('input', (msg: NodeMessage) => {
      lines.push(id);
      byOutput[id]!.push(JSON.stringify(msg.payload));
    });
    const status = collect(helper.getNode('status'));
    await waitFor(() => status.msgs.some((m) => (m.payload as { detail?: string }).detail === 'replay finished'), 'the end of the replay', 30_000);
    await sleep(1_500); // the last open orders close 1 s after their window by the wall clock
    await helper.unload();
    for (const id of ['flows', 'signals']) fs.writeFileSync(`${outFile}.${id}`, byOutput[id]!.join('\n'));
    assert.ok(lines.includes('flows'), 'flows came out');
    assert.ok(lines.includes('signals'), 'signals came out');
  }

  it('two replays at "max" through flow-classify and signal give byte-identical output files', async () => {
    await replayOnce(path.join(dir, 'out-1.txt'));
    await replayOnce(path.join(dir, 'out-2.txt'));
    for (const id of ['flows', 'signals']) {
      assert.ok(fs.statSync(path.join(dir, `out-1.txt.${id}`)).size > 100, `${id} written`);
      assert.equal(sha256(path.join(dir, `out-1.txt.${id}`)), sha256(path.join(dir, `out-2.txt.${id}`)), `${id} identical`);
    }
  });

  it('market-record on an unwritable path: red dot, a catchable error, Node-RED keeps running', async () => {
    fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
    const flow: FlowNodes = [
      flowTab,
      { id: 'rec', type: 'market-record', z: 'f1', name: '', path: path.join(dir, 'not-a-folder', 'x.ndjson'), gzip: false, rotate: 'none', maxSizeMB: 100, wires: [] },
    ];
    await helper.load(nodes, flow as never);
    const rec = helper.getNode('rec');
    const trade = { type: 'trade', provider: 'sim', symbol: 'AAPL', ts: 1_765_000_000_000, receivedAt: 1_765_000_000_001, price: 1, size: 1 };
    for (let i = 0; i < 20; i += 1) rec.receive({ payload: { ...trade, ts: trade.ts + i } });
    await waitFor(() => callsOf(rec, 'error').length > 0, 'the error');
    const [text, msg] = callsOf(rec, 'error')[0] as [string, NodeMessage];
    assert.match(text, /market-record cannot write .*not-a-folder.*x\.ndjson: .*(ENOTDIR|EEXIST)/);
    assert.ok(msg, 'with a msg, so a Catch node sees it');
    assert.equal(callsOf(rec, 'error').length, 1, 'once, not once per event');
    await waitFor(() => callsOf(rec, 'status').some((args) => (args[0] as { fill?: string }).fill === 'red'), 'a red status');
  });
});

describe('the replay example', function () {
  this.timeout(60_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('replay-a-recorded-session-whales-and-momentum.json plays the shipped recording (found by its relative path) to whales and signals', async () => {
    const file = path.resolve(__dirname, '../../../examples/replay-a-recorded-session-whales-and-momentum.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNodes;
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-example-'));
    const debugIds: string[] = [];
    const flow = raw
      .filter((n) => n.type !== 'comment')
      .map((n) => {
        if (n.type === 'debug') {
          debugIds.push(String(n.id));
          return { id: n.id, type: 'helper', z: n.z };
        }
        if (n.provider === 'replay') return { ...n, options: { ...(n.options as object), speed: 'max', loop: false } };
        if (n.provider === 'sim') return { ...n, options: { seed: 1, rate: 'max' } };
        if (n.type === 'market-record') return { ...n, path: path.join(userDir, 'my-session.ndjson') };
        return n;
      });
    await helper.load(nodes, flow as never);
    const sinks = debugIds.map((id) => collect(helper.getNode(id)));
    await waitFor(() => sinks.every((sink) => sink.msgs.length > 0), 'a whale and a signal', 30_000);
    const types = sinks.map((sink) => (sink.msgs[0]!.payload as { type: string }).type).sort();
    assert.deepEqual(types, ['flow', 'signal']);
    assert.equal((sinks[0]!.msgs[0]!.payload as { whale?: boolean }).whale, true);
  });
});
