/**
 * A real Node-RED runtime in this process (no editor, no HTTP: the runtime that runs flows),
 * with this pack loaded as a user would have it (user directory → node_modules/@market-stream/
 * node-red → this working tree) and the `bench-counter` node, running
 * market-provider (binance on the replay server) → market-stream-in → bench-counter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COUNTER_HTML } from './counter-node';

export interface FlowOptions {
  wsBase: string;
  restBase: string;
  channels: Array<'trade' | 'book'>;
  /** The provider's `options` JSON. */
  options?: Record<string, unknown>;
}

export interface NodeRedRuntime {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Node-RED with the flow; resolves once the runtime runs it. Removes its user directory on exit. */
export async function startFlow(options: FlowOptions): Promise<NodeRedRuntime> {
  const flow = [
    { id: 'bench-tab', type: 'tab', label: 'bench' },
    { id: 'bench-provider', type: 'market-provider', name: 'Binance (replay)', provider: 'binance', endpoint: `${options.wsBase}/stream`, restEndpoint: options.restBase, feed: '', options: options.options ?? {} },
    {
      id: 'bench-in',
      type: 'market-stream-in',
      z: 'bench-tab',
      name: 'BTCUSDT',
      provider: 'bench-provider',
      symbols: 'BTCUSDT',
      channels: options.channels,
      interval: '1m',
      depth: 10,
      throttleMs: 0,
      staleAfter: 60,
      wires: [['bench-count'], []],
    },
    { id: 'bench-count', type: 'bench-counter', z: 'bench-tab', name: 'count', wires: [] },
  ];
  return startRuntime(flow);
}

/**
 * Starts a Node-RED runtime with any flow (our nodes and `bench-counter` available); resolves
 * once it runs the flow. Removes its user directory on exit.
 */
export async function startRuntime(flow: Array<Record<string, unknown>>): Promise<NodeRedRuntime> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-stream-bench-'));
  process.on('exit', () => fs.rmSync(userDir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@market-stream'), { recursive: true });
  fs.symlinkSync(root, path.join(userDir, 'node_modules', '@market-stream', 'node-red'), 'dir');
  fs.mkdirSync(path.join(userDir, 'nodes'));
  fs.writeFileSync(path.join(userDir, 'nodes', 'bench-counter.js'), `module.exports = require(${JSON.stringify(path.join(__dirname, 'counter-node.js'))}).registerCounter;\n`);
  fs.writeFileSync(path.join(userDir, 'nodes', 'bench-counter.html'), COUNTER_HTML);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  RED.init({
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: 'error', metrics: false, audit: false } },
  });
  await RED.start();
  return RED;
}
