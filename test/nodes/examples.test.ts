/**
 * Every example flow imports cleanly: valid JSON, known node types, wires and config
 * references that resolve, real providers left on their default endpoints, and no
 * credentials in the export. The simulator demo also runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allNodes, collect, helper, sentOn } from '../helpers/node-red';
import { requireFromNodeRed, resolveFromNodeRed } from '../helpers/runtime';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..', '..');
const examplesDir = path.join(root, 'examples');
// The demo's rate limit in front of its debug node is Node-RED's delay node.
const delayNode = requireFromNodeRed('@node-red/nodes/core/function/89-delay.js');
const examples = fs.readdirSync(examplesDir).filter((file) => file.endsWith('.json'));
const ourTypes = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

/** Node types Node-RED ships, read from its core node HTML files. */
function coreTypes(): Set<string> {
  const types = new Set(['tab', 'group', 'subflow']);
  const coreDir = path.join(path.dirname(resolveFromNodeRed('@node-red/nodes/package.json')), 'core');
  for (const entry of fs.readdirSync(coreDir, { recursive: true })) {
    if (!String(entry).endsWith('.html')) continue;
    const html = fs.readFileSync(path.join(coreDir, String(entry)), 'utf8');
    for (const match of html.matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(match[1]!);
  }
  return types;
}

/** Node types of the palette packages some examples ask the user to install (devDependencies here, so their tests can run them). */
function paletteTypes(): string[] {
  const html = fs.readFileSync(require.resolve('node-red-node-email/61-email.html'), 'utf8');
  return [...html.matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
}

type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };

describe('example flows', () => {
  const known = coreTypes();
  for (const type of ourTypes) known.add(type);
  for (const type of paletteTypes()) known.add(type);

  it('exist for every node type of the pack', () => {
    const used = new Set(examples.flatMap((file) => (JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[]).map((n) => n.type)));
    for (const type of ourTypes) assert.ok(used.has(type), `no example uses ${type}`);
  });

  for (const file of examples) {
    it(`${file} imports cleanly`, () => {
      const text = fs.readFileSync(path.join(examplesDir, file), 'utf8');
      const flow = JSON.parse(text) as FlowNode[];
      assert.ok(Array.isArray(flow) && flow.length > 0);
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, 'unique ids');
      for (const node of flow) {
        assert.ok(known.has(node.type), `${node.id}: unknown type ${node.type}`);
        for (const target of (node.wires ?? []).flat()) assert.ok(ids.has(target), `${node.id} wires to missing ${target}`);
        if (typeof node.z === 'string') assert.ok(ids.has(node.z), `${node.id} sits on missing tab ${node.z}`);
        if (node.type.startsWith('market-') && node.type !== 'market-provider' && 'provider' in node) {
          const config = flow.find((n) => n.id === node.provider);
          assert.ok(config && config.type === 'market-provider', `${node.id}: provider ${String(node.provider)} not in the flow`);
        }
        assert.ok(!('credentials' in node), `${node.id} exports credentials`);
        if (node.type === 'market-provider' && node.provider !== 'sim') {
          assert.equal(node.endpoint ?? '', '', `${node.id}: real providers keep their default stream URL`);
          assert.equal(node.restEndpoint ?? '', '', `${node.id}: real providers keep their default REST URL`);
        }
      }
      assert.ok(flow.some((n) => n.type === 'comment'), 'a comment node explains the example');
    });
  }

  describe('the simulator demo (npm start) runs', function () {
    this.timeout(20_000);
    afterEach(() => helper.unload());

    it('sends events and status to its debug nodes, at least 10 msgs/s', async () => {
      const demo = JSON.parse(fs.readFileSync(path.join(examplesDir, 'simulator-live-quotes-and-trades.json'), 'utf8')) as FlowNode[];
      const flow = demo.filter((n) => n.type !== 'comment').map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z } : n));
      await helper.load([...allNodes, delayNode], flow as never);
      const events = collect(helper.getNode('a1f0c0de00000005'));
      await waitFor(() => events.msgs.length > 0, 'first event');
      const start = Date.now();
      const before = events.msgs.length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const rate = (events.msgs.length - before) / ((Date.now() - start) / 1000);
      assert.ok(rate >= 10, `${rate.toFixed(1)} msgs/s`);
      assert.deepEqual([...new Set(events.msgs.map((m) => m.topic))].sort(), ['AAPL', 'BTC-USD']);
      assert.deepEqual(sentOn(helper.getNode('a1f0c0de00000003'), 1).map((p) => p.state), ['connecting', 'connected']);
    });

    it('with the simulator at "rate": "max", its events debug node gets at most 100 msgs/s (the rate limit drops the rest)', async () => {
      const demo = JSON.parse(fs.readFileSync(path.join(examplesDir, 'simulator-live-quotes-and-trades.json'), 'utf8')) as FlowNode[];
      const flow = demo
        .filter((n) => n.type !== 'comment')
        .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z } : n.type === 'market-provider' ? { ...n, options: { seed: 1, rate: 'max' } } : n));
      await helper.load([...allNodes, delayNode], flow as never);
      const events = collect(helper.getNode('a1f0c0de00000005'));
      const stream = helper.getNode('a1f0c0de00000003');
      await waitFor(() => events.msgs.length > 0, 'first event');
      const start = Date.now();
      const before = events.msgs.length;
      const sentBefore = sentOn(stream, 0).length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const seconds = (Date.now() - start) / 1000;
      const rate = (events.msgs.length - before) / seconds;
      const streamed = (sentOn(stream, 0).length - sentBefore) / seconds;
      assert.ok(streamed > 1000, `the stream runs at full speed: ${streamed.toFixed(0)} msgs/s`);
      assert.ok(rate <= 105 && rate >= 10, `${rate.toFixed(1)} msgs/s reach the debug node`);
    });
  });
});
