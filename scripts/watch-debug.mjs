#!/usr/bin/env node
// Starts `npm start`'s Node-RED (scripts/start.mjs) in a fresh user directory and measures what a
// user would see: seconds until GET /nodes lists the pack, seconds until the first msg reaches the
// debug sidebar, and debug msgs per second over a window. Prints one JSON line. Loopback only.
//   node scripts/watch-debug.mjs [windowSeconds]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const windowS = Number(process.argv[2] || 10);
const port = 18000 + Math.floor(Math.random() * 1000);
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-stream-start-'));
const started = Date.now();
const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], {
  env: { ...process.env, PORT: String(port), MARKET_STREAM_USER_DIR: userDir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => (log += d));

const result = { nodesListedAfterS: null, firstDebugAfterS: null, debugMsgsPerSec: null, windowS, types: [] };

async function nodesListed() {
  for (;;) {
    if (Date.now() - started > 60_000) throw new Error(`GET /nodes never listed the pack:\n${log}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } });
      if (res.ok) {
        const list = await res.json();
        const ours = list.filter((set) => set.module === '@market-stream/node-red').flatMap((set) => set.types);
        if (ours.length) return ours;
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  result.types = await nodesListed();
  result.nodesListedAfterS = (Date.now() - started) / 1000;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
  let count = 0;
  let windowStart = 0;
  await new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ subscribe: 'debug' })));
    ws.on('error', reject);
    ws.on('message', (data) => {
      for (const item of [].concat(JSON.parse(data.toString()))) {
        if (item.topic !== 'debug') continue;
        if (result.firstDebugAfterS === null) {
          result.firstDebugAfterS = (Date.now() - started) / 1000;
          windowStart = Date.now();
          setTimeout(resolve, windowS * 1000);
        }
        count += 1;
      }
    });
    setTimeout(() => reject(new Error(`no debug msg within 60 s:\n${log}`)), 60_000).unref();
  });
  result.debugMsgsPerSec = Math.round((count / ((Date.now() - windowStart) / 1000)) * 10) / 10;
  ws.close();
  console.log(JSON.stringify(result));
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  child.kill('SIGINT');
  fs.rmSync(userDir, { recursive: true, force: true });
}
