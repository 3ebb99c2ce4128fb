import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collect, helper, type Collected } from '../helpers/node-red';
import { waitFor } from '../helpers/wait';
import { everyNode } from './analytics-nodes';

type FlowNode = Record<string, unknown> & { id: string; type: string };

const examplesDir = path.resolve(__dirname, '../../../examples');

/**
 * An example as the test runs it: debug nodes become helper nodes, comments go, and the
 * simulator runs at full speed (`rate: "max"`) so minutes of market pass in a second.
 */
function loadable(file: string): { flow: FlowNode[]; debugNames: Map<string, string> } {
  const nodes = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[];
  const debugNames = new Map<string, string>();
  const flow = nodes
    .filter((node) => node.type !== 'comment')
    .map((node) => {
      if (node.type === 'debug') {
        debugNames.set(node.id, String(node.name));
        return { id: node.id, type: 'helper', z: node.z };
      }
      if (node.type === 'market-provider') return { ...node, options: { ...(node.options as object), rate: 'max' } };
      return node;
    });
  return { flow, debugNames };
}

describe('analytics example flows', function () {
  this.timeout(30_000);
  afterEach(async () => {
    await helper.unload();
  });

  const examples: Array<[string, string]> = [
    ['options-whale-alerts-on-the-simulator.json', 'market-flow-classify'],
    ['spread-and-imbalance-monitor.json', 'market-book-analytics'],
    ['momentum-signal-on-btc.json', 'market-signal'],
  ];

  for (const [file, analyticsType] of examples) {
    it(`${file} imports, runs on the simulator with seed 1 and fills every debug node`, async () => {
      const raw = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[];
      const provider = raw.find((node) => node.type === 'market-provider')!;
      assert.equal(provider.provider, 'sim');
      assert.deepEqual(provider.options, { seed: 1 });
      assert.ok(raw.some((node) => node.type === 'comment' && String(node.info).length > 200), 'a comment explains the flow');
      assert.ok(raw.some((node) => node.type === analyticsType));
      assert.ok(raw.some((node) => node.type === 'market-stream-in'));

      const { flow, debugNames } = loadable(file);
      await helper.load(everyNode, flow as never);
      const sinks = new Map<string, Collected>([...debugNames.keys()].map((id) => [id, collect(helper.getNode(id))]));
      assert.ok(sinks.size >= 1);
      await waitFor(() => [...sinks.values()].every((sink) => sink.msgs.length > 0), `a msg in each of ${[...debugNames.values()].join(', ')}`, 20_000);
      const node = helper.getNode(raw.find((n) => n.type === analyticsType)!.id);
      assert.ok(node, `${analyticsType} deployed`);
      for (const [id, sink] of sinks) {
        const payload = sink.msgs[0]!.payload as { type?: string };
        assert.ok(['flow', 'flowStats', 'bookMetrics', 'alert', 'signal'].includes(String(payload.type)), `${debugNames.get(id)} got ${String(payload.type)}`);
      }
    });
  }
});
