/**
 * The Node-RED the tests run on: the devDependency (4.1), or another install named by
 * NODE_RED_HOME — the Node-RED 5 leg of scripts/test-node-red-5.sh.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export const nodeRedHome = process.env.NODE_RED_HOME ? path.resolve(process.env.NODE_RED_HOME) : path.dirname(require.resolve('node-red/package.json'));

const fromNodeRed = createRequire(path.join(nodeRedHome, 'package.json'));

/** Resolves a module as that Node-RED install sees it (`node-red/red.js`, `@node-red/nodes/...`). */
export function resolveFromNodeRed(id: string): string {
  return fromNodeRed.resolve(id);
}

/** Loads a module from that Node-RED install (core node modules for test flows). */
export function requireFromNodeRed<T = unknown>(id: string): T {
  return fromNodeRed(id) as T;
}
