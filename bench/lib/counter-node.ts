/**
 * `bench-counter`: a native Node-RED node that only hands each msg's payload to the benchmark
 * (no function node: those cap near 85k msgs/s, see docs/architecture.md "Backpressure").
 * Loaded by Node-RED from the benchmark's user directory; the benchmark sets `sink.onPayload`.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';

export const sink: { onPayload: (payload: unknown) => void } = { onPayload: () => undefined };

export function registerCounter(RED: NodeAPI): void {
  function BenchCounterNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    this.on('input', (msg: NodeMessage) => sink.onPayload(msg.payload));
  }
  RED.nodes.registerType('bench-counter', BenchCounterNode);
}

export const COUNTER_HTML = `<script type="text/javascript">
RED.nodes.registerType('bench-counter', { category: 'function', color: '#ddd', defaults: { name: { value: '' } }, inputs: 1, outputs: 0, label: function () { return this.name || 'count'; } });
</script>
`;
