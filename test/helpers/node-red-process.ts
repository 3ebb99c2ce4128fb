/**
 * A real Node-RED process on 127.0.0.1 for end-to-end tests and start-up measurements:
 * start it, wait for the pack in GET /nodes, and watch what reaches the debug sidebar
 * through the editor's comms socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

export const PACKAGE = '@market-stream/node-red';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NodeRedProcess {
  child: ChildProcess;
  port: number;
  base: string;
  log(): string;
  stop(): Promise<void>;
}

/** Spawns a command that runs Node-RED and collects its output. */
export function spawnNodeRed(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): NodeRedProcess {
  // Its own process group, so stopping reaches grandchildren too (npm → sh → node → Node-RED).
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => signal('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          signal('SIGKILL');
          resolve();
        });
        signal('SIGINT');
      }),
  };
}

/** Writes a Node-RED settings file bound to 127.0.0.1 with no outside calls. */
export function writeSettings(userDir: string, port: number): string {
  fs.mkdirSync(userDir, { recursive: true });
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(
    file,
    `module.exports = { uiHost: "127.0.0.1", uiPort: ${port}, flowFile: "flows.json", credentialSecret: "e2e-only",
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  logging: { console: { level: "info", metrics: false, audit: false } } };\n`,
  );
  return file;
}

/** Waits until GET /nodes lists this pack's node types; returns them. */
export async function waitForPack(nr: NodeRedProcess, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (nr.child.exitCode !== null) throw new Error(`Node-RED exited:\n${nr.log()}`);
    try {
      const res = await fetch(`${nr.base}/nodes`, { headers: { Accept: 'application/json' } });
      if (res.ok) {
        const sets = (await res.json()) as Array<{ module: string; types: string[] }>;
        const types = sets.filter((set) => set.module === PACKAGE).flatMap((set) => set.types);
        if (types.length > 0) return types;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`GET /nodes did not list ${PACKAGE} within ${timeoutMs} ms:\n${nr.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface CommsWatch {
  /** Debug sidebar msgs seen so far (their `msg` fields, as the editor gets them). */
  debug: Array<{ at: number; data: { id?: string; topic?: string; msg?: string; format?: string } }>;
  /** Node status updates seen so far, by node id. */
  status: Map<string, Array<{ fill?: string; shape?: string; text?: string }>>;
  close(): void;
}

/** Subscribes to the editor's comms socket like the debug sidebar does. */
export async function watchComms(nr: NodeRedProcess): Promise<CommsWatch> {
  const socket = new WebSocket(`ws://127.0.0.1:${nr.port}/comms`);
  const watch: CommsWatch = { debug: [], status: new Map(), close: () => socket.terminate() };
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ subscribe: 'debug' }));
  socket.send(JSON.stringify({ subscribe: 'status/#' }));
  socket.on('message', (data) => {
    const items = [JSON.parse(data.toString())].flat() as Array<{ topic: string; data: Record<string, unknown> }>;
    for (const item of items) {
      if (item.topic === 'debug') watch.debug.push({ at: Date.now(), data: item.data });
      else if (item.topic.startsWith('status/')) {
        const id = item.topic.slice('status/'.length);
        watch.status.set(id, [...(watch.status.get(id) ?? []), item.data]);
      }
    }
  });
  return watch;
}
