/**
 * Node modules that translate through their own locales/en-US/<node>.json, as Node-RED does
 * (each node file is its own namespace; `__name__` fills in a value; a missing key comes back
 * as the key). The test helper's RED._ gives every key back untranslated.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NodeAPI } from 'node-red';

type NodeModule = (RED: NodeAPI) => void;
type Catalog = Record<string, unknown>;

/** The built node folders: dist/nodes/<folder>/locales/en-US/<folder>.json. */
const nodesDir = path.resolve(__dirname, '..', '..', 'nodes');

export function loadCatalog(folder: string): Catalog {
  return JSON.parse(fs.readFileSync(path.join(nodesDir, folder, 'locales', 'en-US', `${folder}.json`), 'utf8')) as Catalog;
}

export function translate(catalog: Catalog, key: string, values: Record<string, unknown> = {}): string {
  let entry: unknown = catalog;
  for (const part of key.split('.')) entry = entry && typeof entry === 'object' ? (entry as Catalog)[part] : undefined;
  if (typeof entry !== 'string') return key;
  return entry.replace(/__(\w+)__/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** The node module, given a RED whose `_` translates with the node folder's catalog. */
export function translated(nodeModule: NodeModule, folder: string): NodeModule {
  const catalog = loadCatalog(folder);
  const _ = (key: string, values?: Record<string, unknown>): string => translate(catalog, key, values);
  return (RED) => nodeModule(Object.create(RED, { _: { value: _ } }) as NodeAPI);
}
