/** The analytics node modules and a few flow builders shared by their node tests. */
import { allNodes } from '../helpers/node-red';

// The compiled nodes, as Node-RED loads them from package.json's node-red.nodes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const flowClassifyNode = require('../../nodes/flow-classify/flow-classify');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const bookAnalyticsNode = require('../../nodes/book-analytics/book-analytics');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const signalNode = require('../../nodes/signal/signal');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const alertNode = require('../../nodes/alert/alert');
export const everyNode = [...allNodes, flowClassifyNode, bookAnalyticsNode, signalNode, alertNode];

export type FlowNodes = Array<Record<string, unknown>>;

export const flowTab = { id: 'f1', type: 'tab', label: 'test' };

/** A sim provider; `rate: "max"` runs virtual time as fast as the event loop allows. */
export function simProvider(options: Record<string, unknown> = { seed: 1, rate: 'max' }): Record<string, unknown> {
  return { id: 'p1', type: 'market-provider', name: 'Sim', provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options };
}

export function streamIn(id: string, symbols: string, channels: string[], wires: string[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'market-stream-in', z: 'f1', name: '', provider: 'p1', symbols, channels, interval: '1m', depth: 10, throttleMs: 0, staleAfter: 60, wires, ...extra };
}

export function helperNodes(...ids: string[]): FlowNodes {
  return ids.map((id) => ({ id, type: 'helper', z: 'f1' }));
}
