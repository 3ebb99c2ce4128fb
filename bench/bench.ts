/**
 * `npm run bench`: Binance-format market data replayed from a local server (its own process) to
 * four clients, each in its own process, measured side by side in one run:
 *
 *   (a) ceiling   bare `ws` + JSON.parse + normalize to our TradeEvent
 *   (b) ccxt      ccxt's websocket API (watchTrades / watchOrderBook), URLs on the local server
 *   (c) core      our Binance adapter: a FeedSession, events counted in a SessionUser
 *   (d) node-red  our nodes in a real Node-RED runtime: provider → stream-in → a native counting node
 *
 * Scenarios: trades as fast as each client takes them; diff-depth books (REST snapshot + diffs)
 * as fast as each client takes them; (e) books offline (our engine vs ccxt's order book vs a bare
 * Map); (f) RSS and heap of each client; (g) send→count latency at a steady 10k msgs/s.
 * (h) providers: each bench/providers/<id>.ts script (its own baseline, its own process).
 * (i) scale: bench/scale.ts (1 → 100 stream-in nodes, 10 → 10,000 option symbols, a 10k/s replay).
 * Every scenario but latency is repeated (interleaved rounds) and the median is shown. Prints a table and writes
 * bench/results.json. Nothing connects anywhere but 127.0.0.1 (every client process refuses and
 * records any other connection).
 *
 * Environment (all optional): BENCH_TRADES (500000), BENCH_DIFFS (100000), BENCH_REPEAT (3),
 * BENCH_LATENCY_S (12, of which 2 s warm-up), BENCH_BOOK_DIFFS (50000), BENCH_ONLY (comma list
 * of scenarios: trades,depth,latency,books,providers,scale), BENCH_CLIENTS (comma list of clients), BENCH_PROFILE (comma list of clients, or "all":
 * CPU profiles into bench/profiles/), BENCH_NODE_ARGS (extra node flags for the clients, e.g.
 * --trace-gc) with BENCH_CLIENT_OUTPUT=1 to see what they print.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { programInfo } from './lib/frames';
import { REPO_ROOT, ServerProcess, machineInfo, runClientProcess, type MachineInfo } from './lib/processes';
import { providerBenchScripts, runProviderBench, type ProviderBenchResult } from './lib/provider-benches';
import type { ClientResult, ClientTask, ProgramInfo, StreamKind } from './lib/protocol';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const TRADES = env('BENCH_TRADES', 500_000);
const DIFFS = env('BENCH_DIFFS', 100_000);
const REPEAT = env('BENCH_REPEAT', 3);
const LATENCY_S = env('BENCH_LATENCY_S', 12);
const LATENCY_RATE = 10_000;
const LATENCY_WARMUP_MS = 2_000;
const BOOK_DIFFS = env('BENCH_BOOK_DIFFS', 50_000);
const BOOK_DEPTH = 10;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'trades,depth,latency,books,providers,scale').split(',').map((s) => s.trim()));
const ONLY_CLIENTS = new Set((process.env.BENCH_CLIENTS ?? 'ceiling,ccxt,core,node-red,book-ours,book-ccxt,book-map').split(',').map((s) => s.trim()));
const PROFILE = new Set((process.env.BENCH_PROFILE ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const CLIENTS = [
  { name: 'ceiling', file: 'ceiling.js', label: '(a) ceiling: ws + JSON.parse + normalize' },
  { name: 'ccxt', file: 'ccxt.js', label: '(b) ccxt pro (watchTrades / watchOrderBook)' },
  { name: 'core', file: 'core.js', label: '(c) our adapter core (FeedSession)' },
  { name: 'node-red', file: 'node-red.js', label: '(d) our nodes in Node-RED → native counter' },
] as const;
type ClientName = (typeof CLIENTS)[number]['name'];

const BOOK_CONTENDERS = [
  { name: 'book-ours', label: 'ours: BinanceDepthSync + SyncedBook, top-10 event' },
  { name: 'book-ccxt', label: "ccxt's OrderBook (store + limit), top-10 copied" },
  { name: 'book-map', label: 'bare Map, sort for top-10' },
] as const;

interface Results {
  machine: MachineInfo & { loadAverageAfter?: number[] };
  settings: Record<string, number>;
  startedAt: string;
  trades: Record<string, ClientResult[]>;
  depth: Record<string, ClientResult[]>;
  latency: Record<string, ClientResult>;
  books: Record<string, ClientResult[]>;
  providers: Record<string, ProviderBenchResult>;
  scale?: ProviderBenchResult;
  summary?: Record<string, unknown>;
  problems: string[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 1000) / 1000; // the mean of two floats prints as 76.30000000000001
}

async function runOnce(server: ServerProcess, name: ClientName, kind: StreamKind, info: ProgramInfo, results: Results, extra: Partial<ClientTask> = {}): Promise<ClientResult> {
  const task: ClientTask = { client: name, wsBase: server.wsBase, restBase: server.restBase, kind, info, timeoutMs: 180_000, ...extra };
  const file = CLIENTS.find((client) => client.name === name)?.file as string;
  const result = await runClientProcess({ file, task, profile: PROFILE.has('all') || PROFILE.has(name) });
  const report = await server.report();
  const outside = [...result.sockets.filter((s) => !/^(127\.0\.0\.1|localhost|::1):/.test(s)), ...report.remotes.filter((r) => !/^(::ffff:)?127\.0\.0\.1$/.test(r))];
  if (outside.length > 0) results.problems.push(`${name}: connections outside 127.0.0.1: ${outside.join(', ')}`);
  if (report.unexpectedSnapshots > 0) results.problems.push(`${name} ${kind}: ${report.unexpectedSnapshots} extra depth snapshots (the client lost sync)`);
  if (!result.ok) results.problems.push(`${name} ${kind}: ${result.error ?? 'failed'}`);
  const line = result.ok ? `${fmt(result.msgsPerSec)} msgs/s, peak RSS ${result.peakRssMb} MB` : `FAILED: ${result.error ?? ''}`.slice(0, 300);
  const latency = result.latencyMs ? `, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` : '';
  console.log(`  ${kind.padEnd(5)} ${name.padEnd(10)} ${line}${latency}  [sockets: ${result.sockets.join(' ') || 'none'}]`);
  return result;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ratio(value: number, base: number): string {
  return base > 0 && value > 0 ? `${(value / base).toFixed(2)}×` : '—';
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const results: Results = {
    machine,
    settings: { trades: TRADES, diffs: DIFFS, repeat: REPEAT, latencySeconds: LATENCY_S, latencyRate: LATENCY_RATE, bookDiffs: BOOK_DIFFS, bookDepth: BOOK_DEPTH },
    startedAt: new Date().toISOString(),
    trades: {},
    depth: {},
    latency: {},
    books: {},
    providers: {},
    problems: [],
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.platform}`);
  console.log(`load average at start: ${machine.loadAverage.join(' ')} (1, 5, 15 min)`);
  const server = await ServerProcess.start();
  try {
    for (const kind of ['trade', 'depth'] as const) {
      if (!ONLY.has(kind === 'trade' ? 'trades' : 'depth')) continue;
      const count = kind === 'trade' ? TRADES : DIFFS;
      console.log(`\n${kind === 'trade' ? 'trades' : 'depth diffs'}: ${fmt(count)} frames as fast as each client takes them, ${REPEAT} interleaved rounds`);
      const [info] = await server.program([{ kind, count, rate: 0, stampSendTime: false }]);
      for (let round = 0; round < REPEAT; round++) {
        // Rotate the order so no client always runs first (or last) in a round.
        const order = CLIENTS.map((_, i) => CLIENTS[(i + round) % CLIENTS.length] as (typeof CLIENTS)[number]).filter((client) => ONLY_CLIENTS.has(client.name));
        for (const client of order) {
          const result = await runOnce(server, client.name, kind, info as ProgramInfo, results);
          const bucket = kind === 'trade' ? results.trades : results.depth;
          (bucket[client.name] ??= []).push(result);
        }
      }
    }
    if (ONLY.has('latency')) {
      const count = LATENCY_RATE * LATENCY_S;
      console.log(`\nlatency: trades at a steady ${fmt(LATENCY_RATE)} msgs/s for ${LATENCY_S} s (first ${LATENCY_WARMUP_MS / 1000} s not counted), send time in each frame`);
      const [info] = await server.program([{ kind: 'trade', count, rate: LATENCY_RATE, stampSendTime: true }]);
      for (const client of CLIENTS.filter((c) => ONLY_CLIENTS.has(c.name))) {
        results.latency[client.name] = await runOnce(server, client.name, 'trade', info as ProgramInfo, results, { latency: { warmupMs: LATENCY_WARMUP_MS }, timeoutMs: LATENCY_S * 1000 + 60_000 });
      }
    }
  } finally {
    server.stop();
  }
  if (ONLY.has('books')) {
    console.log(`\nbooks offline: ${fmt(BOOK_DIFFS)} diffs on a ~1000-level book, top ${BOOK_DEPTH} read after each; each process best of 3 passes, ${REPEAT} interleaved rounds`);
    const info = programInfo({ kind: 'depth', count: BOOK_DIFFS, rate: 0, stampSendTime: false }, null);
    for (let round = 0; round < REPEAT; round++) {
      for (const contender of BOOK_CONTENDERS.filter((c) => ONLY_CLIENTS.has(c.name))) {
        const task: ClientTask = { client: contender.name, wsBase: '', restBase: '', kind: 'depth', info, timeoutMs: 600_000, books: { diffs: BOOK_DIFFS, depth: BOOK_DEPTH, rounds: 3 } };
        const result = await runClientProcess({ file: 'books.js', task, profile: PROFILE.has('all') || PROFILE.has(contender.name) });
        if (!result.ok) results.problems.push(`${contender.name}: ${result.error ?? 'failed'}`);
        (results.books[contender.name] ??= []).push(result);
        console.log(`  ${contender.name.padEnd(10)} ${result.ok ? `${fmt(result.msgsPerSec)} diffs/s (${result.notes?.join('; ') ?? ''})` : `FAILED: ${result.error ?? ''}`}`);
      }
    }
    const sums = new Set(Object.values(results.books).flatMap((runs) => runs.map((r) => r.notes?.[0])));
    if (sums.size > 1) results.problems.push(`book contenders read different books: ${[...sums].join(' / ')}`);
  }
  if (ONLY.has('scale')) {
    console.log('\nscale (bench/scale.ts), each step in its own process, against the first step of its series:');
    const result = await runProviderBench(path.join(REPO_ROOT, 'dist', 'bench', 'scale.js'), 900_000);
    results.scale = result;
    if (!result.ok) results.problems.push(`scale: ${result.error ?? 'failed'}`);
  }
  if (ONLY.has('providers')) {
    for (const file of providerBenchScripts()) {
      const id = path.basename(file, '.js');
      console.log(`\nprovider ${id} (bench/providers/${id}.ts):`);
      const result = await runProviderBench(file);
      results.providers[id] = result;
      if (!result.ok) results.problems.push(`provider bench ${id}: ${result.error ?? 'failed'}`);
    }
  }
  results.machine.loadAverageAfter = os.loadavg().map((value) => Math.round(value * 100) / 100);
  printTable(results);
  const file = path.join(REPO_ROOT, 'bench', 'results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file) || file}`);
  if (results.problems.length > 0) {
    console.log(`\nproblems:\n${results.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
  }
}

function printTable(results: Results): void {
  const trades = (name: ClientName): ClientResult[] => (results.trades[name] ?? []).filter((r) => r.ok);
  const depth = (name: ClientName): ClientResult[] => (results.depth[name] ?? []).filter((r) => r.ok);
  const rate = (runs: ClientResult[]): number => median(runs.map((r) => r.msgsPerSec));
  const peak = (runs: ClientResult[]): number => median(runs.map((r) => r.peakRssMb));
  const heap = (runs: ClientResult[]): number => median(runs.map((r) => r.heapMb));
  const ceiling = rate(trades('ceiling'));
  const ccxtTrades = rate(trades('ccxt'));
  const ccxtDepth = rate(depth('ccxt'));
  const rows: string[][] = [];
  const summary: Record<string, unknown> = {};
  for (const client of CLIENTS) {
    const t = trades(client.name);
    const d = depth(client.name);
    const latency = results.latency[client.name]?.latencyMs;
    const tradeRate = rate(t);
    const depthRate = rate(d);
    rows.push([
      client.label,
      tradeRate ? fmt(tradeRate) : '—',
      ratio(tradeRate, ceiling),
      ratio(tradeRate, ccxtTrades),
      depthRate ? fmt(depthRate) : '—',
      ratio(depthRate, ccxtDepth),
      t.length ? `${peak(t)} / ${heap(t)}` : '—',
      d.length ? `${peak(d)} / ${heap(d)}` : '—',
      latency ? `${latency.p50} / ${latency.p99} / ${latency.max}` : '—',
    ]);
    summary[client.name] = { tradesPerSec: tradeRate, depthDiffsPerSec: depthRate, tradesPeakRssMb: peak(t), depthPeakRssMb: peak(d), tradesHeapMb: heap(t), depthHeapMb: heap(d), latencyMs: latency ?? null };
  }
  const header = ['client', 'trades msgs/s', '× ceiling', '× ccxt', 'book diffs/s', '× ccxt', 'RSS/heap MB trades', 'RSS/heap MB books', 'latency ms p50/p99/max'];
  console.log(`\n${markdownTable(header, rows)}`);
  const bookRows: string[][] = [];
  const bookRate = (name: string): number => rate((results.books[name] ?? []).filter((r) => r.ok));
  const ccxtBooks = bookRate('book-ccxt');
  for (const contender of BOOK_CONTENDERS) {
    const diffsPerSec = bookRate(contender.name);
    if (!results.books[contender.name]) continue;
    bookRows.push([contender.label, diffsPerSec ? fmt(diffsPerSec) : 'failed', ratio(diffsPerSec, ccxtBooks)]);
    summary[contender.name] = { diffsPerSec };
  }
  if (bookRows.length > 0) console.log(`\n(e) books offline\n\n${markdownTable(['book engine', 'diffs/s (apply + top-10)', '× ccxt'], bookRows)}`);
  const s = (name: string): Record<string, number> => (summary[name] ?? {}) as Record<string, number>;
  const latencyOf = (name: string): { p99: number } | null => (summary[name] as { latencyMs: { p99: number } | null } | undefined)?.latencyMs ?? null;
  const targets = [
    target('(c) core ≥ 0.8 × ceiling (trades)', s('core').tradesPerSec, ceiling * 0.8, (s('core').tradesPerSec ?? 0) / ceiling),
    target('(d) node-red ≥ 1.5 × ccxt (trades)', s('node-red').tradesPerSec, ccxtTrades * 1.5, (s('node-red').tradesPerSec ?? 0) / ccxtTrades),
    target('(d) node-red ≥ 1.5 × ccxt (book diffs)', s('node-red').depthDiffsPerSec, ccxtDepth * 1.5, (s('node-red').depthDiffsPerSec ?? 0) / ccxtDepth),
    target('(e) our book ≥ 2.5 × ccxt (offline)', s('book-ours').diffsPerSec, ccxtBooks * 2.5, (s('book-ours').diffsPerSec ?? 0) / ccxtBooks),
    targetAtMost('(f) core peak RSS ≤ ccxt (trades)', s('core').tradesPeakRssMb, s('ccxt').tradesPeakRssMb, 'MB'),
    targetAtMost('(f) core peak RSS ≤ ccxt (books)', s('core').depthPeakRssMb, s('ccxt').depthPeakRssMb, 'MB'),
    targetAtMost('(f) node-red peak RSS ≤ ccxt (trades)', s('node-red').tradesPeakRssMb, s('ccxt').tradesPeakRssMb, 'MB'),
    targetAtMost('(g) core p99 ≤ 2 ms at 10k msgs/s', latencyOf('core')?.p99, 2, 'ms'),
    targetAtMost('(g) node-red p99 ≤ 2 ms at 10k msgs/s', latencyOf('node-red')?.p99, 2, 'ms'),
  ].filter((line): line is string => line !== null);
  summary.targets = targets;
  results.summary = summary;
  const m = results.machine;
  console.log(`\ntargets:\n${targets.map((line) => `  ${line}`).join('\n')}`);
  console.log(`\nmachine: ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average ${m.loadAverage.join(' ')} at start, ${m.loadAverageAfter?.join(' ') ?? '?'} at end`);
  console.log('RSS = peak resident set of the client process (median of the rounds); heap = heap in use after a full GC at the end.');
}

function target(label: string, value: number | undefined, needed: number, ratioValue: number): string | null {
  if (value === undefined || !needed) return null;
  return `${value >= needed ? 'PASS' : 'MISS'} ${label}: ${Number.isFinite(ratioValue) ? ratioValue.toFixed(2) : '?'}×`;
}

function targetAtMost(label: string, value: number | undefined, limit: number | undefined, unit: string): string | null {
  if (value === undefined || limit === undefined) return null;
  return `${value <= limit ? 'PASS' : 'MISS'} ${label}: ${value} ${unit} vs ${limit} ${unit}`;
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
