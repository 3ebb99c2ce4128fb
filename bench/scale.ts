/**
 * Scale, measured (issue 16 item 8): the same pack under growing work, each step in its own
 * process (its own RSS), against the first step of its series measured in the same run.
 *
 *   nodes    1 → 10 → 100 market-stream-in nodes on one simulator provider (BTC-USD trades and
 *            quotes at the simulator's "max" rate): msgs delivered per second, CPU per msg, RSS
 *   symbols  10 → 1,000 → 10,000 option contracts (simulator chains) on one market-stream-in,
 *            quotes at rate 1
 *   replay   a 10,000-msg/s recording (re-timed from examples/recordings/sim-sample.ndjson.gz)
 *            played at 1× through market-stream-in → market-flow-classify, and recorded again
 *            by market-record: the rate reached, CPU per msg, RSS
 *
 * Run by `npm run bench` (scenario "scale"), or alone: `node dist/bench/scale.js`
 * (BENCH_QUICK=1: shorter windows). A step is `SCALE_STEP={"kind":…,"n":…}`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sink } from './lib/counter-node';
import { startRuntime, type NodeRedRuntime } from './lib/node-red-flow';
import { runProviderBench } from './lib/provider-benches';
import { formatOccSymbol } from '../src/model/occ';

interface Step {
  kind: 'nodes' | 'symbols' | 'replay';
  n: number;
}

interface StepResult extends Step {
  msgsPerSec: number;
  cpuUsPerMsg: number;
  peakRssMb: number;
  counted: number;
  seconds: number;
  notes?: string;
}

const QUICK = process.env.BENCH_QUICK === '1';
const WARMUP_MS = QUICK ? 1_000 : 3_000;
const WINDOW_MS = QUICK ? 3_000 : 10_000;
const REPLAY_RATE = 10_000;
const REPLAY_SECONDS = QUICK ? 4 : 12;
const ROOT = path.resolve(__dirname, '..', '..');

const tab = { id: 'scale-tab', type: 'tab', label: 'scale' };

function streamIn(id: string, symbols: string, channels: string[], wires: string[][]): Record<string, unknown> {
  return { id, type: 'market-stream-in', z: tab.id, name: '', provider: 'scale-provider', symbols, channels, interval: '1m', depth: 10, throttleMs: 0, staleAfter: 600, wires };
}

/** Option contracts the simulator quotes: its four roots, Fridays of the coming year, strikes around spot. */
function optionSymbols(count: number): string[] {
  const roots = [
    { root: 'SPY', spot: 600, step: 1 },
    { root: 'AAPL', spot: 230, step: 1 },
    { root: 'TSLA', spot: 350, step: 2.5 },
    { root: 'NVDA', spot: 180, step: 1 },
  ];
  const fridays: string[] = [];
  const day = new Date();
  day.setUTCHours(12, 0, 0, 0);
  day.setUTCDate(day.getUTCDate() + 7);
  while (fridays.length < 26) {
    if (day.getUTCDay() === 5) fridays.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  const out: string[] = [];
  for (let k = 0; out.length < count; k += 1) {
    // Round-robin over roots, expiries, rights and widening strikes, so every size is a mix.
    const r = roots[k % roots.length]!;
    const expiry = fridays[Math.floor(k / roots.length) % fridays.length]!;
    const ring = Math.floor(k / (roots.length * fridays.length));
    const right = ring % 2 === 0 ? 'call' : 'put';
    const offset = Math.floor(ring / 2);
    const strike = r.spot + (offset % 2 === 0 ? 1 : -1) * Math.ceil(offset / 2) * r.step;
    out.push(formatOccSymbol({ root: r.root, expiry, right, strike }));
  }
  return out;
}

/** The sample recording re-timed to REPLAY_RATE events a second for REPLAY_SECONDS. */
function replayFile(dir: string): { file: string; events: number } {
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'examples', 'recordings', 'sim-sample.ndjson.gz'))).toString('utf8').split('\n').filter(Boolean);
  const [header, ...events] = lines;
  const total = REPLAY_RATE * REPLAY_SECONDS;
  const start = Date.now();
  const out: string[] = [header!];
  for (let i = 0; i < total; i += 1) {
    const event = JSON.parse(events[i % events.length]!) as Record<string, unknown>;
    const ts = start + Math.floor((i * 1000) / REPLAY_RATE);
    event.ts = ts;
    event.receivedAt = ts;
    if (typeof event.id === 'string' || typeof event.id === 'number') event.id = `r${i}`;
    out.push(JSON.stringify(event));
  }
  const file = path.join(dir, 'scale-replay.ndjson');
  fs.writeFileSync(file, `${out.join('\n')}\n`);
  return { file, events: total };
}

async function runStep(step: Step): Promise<StepResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-stream-scale-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let counted = 0;
  sink.onPayload = () => {
    counted += 1;
  };
  let flow: Array<Record<string, unknown>>;
  let notes = '';
  if (step.kind === 'nodes') {
    flow = [tab, { id: 'scale-provider', type: 'market-provider', name: 'sim', provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 1, rate: 'max' } }];
    for (let i = 0; i < step.n; i += 1) flow.push(streamIn(`in-${i}`, 'BTC-USD', ['trade', 'quote'], [['scale-count'], []]));
    flow.push({ id: 'scale-count', type: 'bench-counter', z: tab.id, name: 'count', wires: [] });
  } else if (step.kind === 'symbols') {
    flow = [
      tab,
      { id: 'scale-provider', type: 'market-provider', name: 'sim', provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 1, rate: 1 } },
      streamIn('in-0', optionSymbols(step.n).join(', '), ['quote'], [['scale-count'], []]),
      { id: 'scale-count', type: 'bench-counter', z: tab.id, name: 'count', wires: [] },
    ];
  } else {
    const recording = replayFile(dir);
    notes = `${recording.events} events at ${REPLAY_RATE}/s`;
    flow = [
      tab,
      { id: 'scale-provider', type: 'market-provider', name: 'replay', provider: 'replay', endpoint: '', restEndpoint: '', feed: '', options: { file: recording.file, speed: 1 } },
      streamIn('in-0', 'SPY*, AAPL*, TSLA*, NVDA*', ['trade', 'quote'], [['scale-count', 'scale-classify', 'scale-record'], []]),
      { id: 'scale-classify', type: 'market-flow-classify', z: tab.id, name: '', wires: [[], []] },
      { id: 'scale-record', type: 'market-record', z: tab.id, name: '', path: path.join(dir, 'again.ndjson'), gzip: false, rotate: 'none', maxSizeMB: 100, wires: [] },
      { id: 'scale-count', type: 'bench-counter', z: tab.id, name: 'count', wires: [] },
    ];
  }
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const red: NodeRedRuntime = await startRuntime(flow);
  // Subscribing thousands of contracts takes a while and each one's first quote comes at once: wait that burst out.
  const warmupMs = step.kind === 'symbols' ? WARMUP_MS + step.n : WARMUP_MS;
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  const counted0 = counted;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, step.kind === 'replay' ? Math.min(WINDOW_MS, REPLAY_SECONDS * 1000 - WARMUP_MS - 500) : WINDOW_MS));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const msgs = counted - counted0;
  clearInterval(rssTimer);
  await red.stop();
  return {
    ...step,
    counted: msgs,
    seconds: Math.round(elapsed * 10) / 10,
    msgsPerSec: Math.round(msgs / elapsed),
    cpuUsPerMsg: msgs > 0 ? Math.round(((cpu.user + cpu.system) / msgs) * 100) / 100 : 0,
    peakRssMb: Math.round((peakRss / 1048576) * 10) / 10,
    ...(notes ? { notes } : {}),
  };
}

const SERIES: Step[][] = [
  [{ kind: 'nodes', n: 1 }, { kind: 'nodes', n: 10 }, { kind: 'nodes', n: 100 }],
  [{ kind: 'symbols', n: 10 }, { kind: 'symbols', n: 1_000 }, { kind: 'symbols', n: 10_000 }],
  [{ kind: 'replay', n: REPLAY_RATE }],
];

async function main(): Promise<void> {
  const stepText = process.env.SCALE_STEP;
  if (stepText) {
    const result = await runStep(JSON.parse(stepText) as Step);
    console.log(`JSON:${JSON.stringify(result)}`);
    process.exit(0);
  }
  const results: StepResult[] = [];
  console.log('| step | msgs/s delivered | × first | source events/s | CPU µs/msg | × first | peak RSS MB | × first |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const series of SERIES) {
    let first: StepResult | null = null;
    for (const step of series) {
      const run = await runProviderBench(__filename, 300_000, { SCALE_STEP: JSON.stringify(step) });
      if (!run.ok || !run.figures) {
        console.log(`| ${step.kind} ${step.n} | FAILED: ${run.error ?? ''} |`);
        continue;
      }
      const result = run.figures as unknown as StepResult;
      results.push(result);
      first ??= result;
      const x = (value: number, base: number): string => (base > 0 ? `${(value / base).toFixed(2)}×` : '—');
      const label = step.kind === 'nodes' ? `${step.n} stream-in nodes` : step.kind === 'symbols' ? `${step.n.toLocaleString('en-US')} option symbols` : `replay ${step.n.toLocaleString('en-US')}/s → flow-classify + record`;
      const source = step.kind === 'nodes' ? Math.round(result.msgsPerSec / step.n) : result.msgsPerSec;
      console.log(`| ${label} | ${result.msgsPerSec.toLocaleString('en-US')} | ${x(result.msgsPerSec, first.msgsPerSec)} | ${source.toLocaleString('en-US')} | ${result.cpuUsPerMsg} | ${x(result.cpuUsPerMsg, first.cpuUsPerMsg)} | ${result.peakRssMb} | ${x(result.peakRssMb, first.peakRssMb)} |`);
    }
  }
  console.log(`JSON:${JSON.stringify({ steps: results })}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
