/**
 * Issue 17 item 5: Node-RED's memory with the demo flow (`npm start`) at full speed
 * (`"rate": "max"`) and an editor connected. Starts scripts/start.mjs on PORT (never 1880) with
 * a temporary MARKET_STREAM_USER_DIR holding the demo flow set to full speed, connects a client
 * to /comms that subscribes to the debug and status topics like the editor does and keeps
 * reading, and prints Node-RED's RSS once a minute.
 *
 *   npm run build && PORT=18931 node dist/bench/editor-rss.js [minutes]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const minutes = Number(process.argv[2] ?? 5);
const port = Number(process.env.PORT ?? 0);
if (!port || port === 1880) throw new Error('set PORT to a free port other than 1880');

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/** The Node-RED process start.mjs spawned (its only child). */
function childOf(pid: number): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-stream-editor-rss-'));
  const demo = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'simulator-live-quotes-and-trades.json'), 'utf8')) as Array<Record<string, unknown>>;
  for (const node of demo) if (node.type === 'market-provider') node.options = { seed: 1, rate: 'max' };
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(demo));
  const starter = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.mjs')], { env: { ...process.env, PORT: String(port), MARKET_STREAM_USER_DIR: userDir }, stdio: ['ignore', 'ignore', 'inherit'] });
  let ws: WebSocket | null = null;
  try {
    let red: number | null = null;
    for (let i = 0; i < 200 && red === null; i++) {
      await sleep(100);
      red = childOf(starter.pid!);
    }
    if (red === null) throw new Error('Node-RED did not start');
    // Node-RED is up when its editor answers.
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
      } catch {
        if (i > 300) throw new Error('Node-RED does not answer');
      }
      await sleep(100);
    }
    let received = 0;
    let debugMsgs = 0;
    ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    ws.on('message', (data: WebSocket.RawData) => {
      received += 1;
      const text = data.toString();
      if (text.includes('"topic":"debug"')) debugMsgs += (text.match(/"topic":"debug"/g) ?? []).length;
    });
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });
    for (const topic of ['status/#', 'notification/#', 'debug', 'hiddenTopic']) ws.send(JSON.stringify({ subscribe: topic }));
    const samples: string[] = [];
    for (let minute = 0; minute <= minutes; minute++) {
      if (minute > 0) await sleep(60_000);
      samples.push(`${minute} min: RSS ${rssMb(red)} MB (${debugMsgs} debug msgs received by the editor client, ${received} frames)`);
      console.log(samples.at(-1));
    }
  } finally {
    ws?.close();
    starter.kill('SIGTERM');
    await new Promise((resolve) => starter.once('exit', resolve));
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
