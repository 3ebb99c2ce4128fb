/** Shared setup for node tests: the helper pointed at our Node-RED, and the built node modules. */
import helper from 'node-red-node-test-helper';
import { resolveFromNodeRed } from './runtime';
import type { Node, NodeMessage } from 'node-red';

helper.init(resolveFromNodeRed('node-red'));

export { helper };

// The compiled nodes, as Node-RED loads them from package.json's node-red.nodes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const providerNode = require('../../nodes/provider-config/provider-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const streamInNode = require('../../nodes/stream-in/stream-in');
export const allNodes = [providerNode, streamInNode];

export interface Collected {
  msgs: NodeMessage[];
}

/** Collects every msg a helper node receives. */
export function collect(node: Node): Collected {
  const collected: Collected = { msgs: [] };
  node.on('input', (msg: NodeMessage) => collected.msgs.push(msg));
  return collected;
}

/** The payloads of the collected msgs, typed loosely for assertions. */
export function payloads(collected: Collected): Array<Record<string, unknown>> {
  return collected.msgs.map((msg) => msg.payload as Record<string, unknown>);
}

interface SpyCall {
  thisValue: unknown;
  args: unknown[];
}

/** Calls of a Node method (send, status, error...) made by one node; the helper spies on Node.prototype. */
export function callsOf(node: Node, method: 'send' | 'status' | 'error' | 'warn'): unknown[][] {
  const spy = (node as unknown as Record<string, { getCalls(): SpyCall[] }>)[method];
  if (!spy) return [];
  return spy
    .getCalls()
    .filter((call) => call.thisValue === node)
    .map((call) => call.args);
}

/** Payloads a node sent on one output, from its first msg on. */
export function sentOn(node: Node, output: number): Array<Record<string, unknown>> {
  return callsOf(node, 'send')
    .map((args) => (args[0] as Array<NodeMessage | null>)[output])
    .filter((msg): msg is NodeMessage => !!msg)
    .map((msg) => msg.payload as Record<string, unknown>);
}
