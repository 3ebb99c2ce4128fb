/**
 * Node glue shared by the node types (this folder is not a node type): a configuration the
 * node cannot run with.
 */
import type { Node, NodeAPI } from 'node-red';

/**
 * Red dot and one error with a msg, so a Catch node sees it; the text says what to fix. The
 * status text is the node type's own `status.configError`.
 */
export function showConfigError(RED: NodeAPI, node: Node, problem: unknown): void {
  const message = problem instanceof Error ? problem.message : String(problem);
  node.status({ fill: 'red', shape: 'dot', text: RED._(`${node.type}.status.configError`) });
  node.error(message, { topic: 'config', payload: { type: 'status', state: 'error', detail: message } });
}
