/** Flow pieces for the node-level venue tests: a market-provider pointed at a fake, stream-in nodes, sinks, a Catch node. */
export type Flow = Array<Record<string, unknown>>;

export const flowTab = { id: 'f1', type: 'tab', label: 'venue test' };

export function providerNode(provider: string, endpoint: string, restEndpoint = '', options: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'p1', type: 'market-provider', name: provider, provider, endpoint, restEndpoint, feed: '', options };
}

export function streamNode(id: string, symbols: string, channels: string[], extra: Record<string, unknown> = {}): Flow {
  return [
    { id, type: 'market-stream-in', z: 'f1', name: '', provider: 'p1', symbols, channels, interval: '1m', depth: 5, throttleMs: 0, staleAfter: 60, wires: [[`${id}-out`], [`${id}-status`]], ...extra },
    { id: `${id}-out`, type: 'helper', z: 'f1' },
    { id: `${id}-status`, type: 'helper', z: 'f1' },
  ];
}

export const catchAll: Flow = [
  { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['c1-out']] },
  { id: 'c1-out', type: 'helper', z: 'f1' },
];
