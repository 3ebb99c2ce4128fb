/**
 * What every benchmark client process shares: its task, a guard that refuses any connection
 * that is not to 127.0.0.1 (and records every one), the meter at the counting point, and the
 * report (throughput, memory, latency) sent back to the runner.
 */
import dns from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClientResult, ClientTask } from './protocol';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const sockets: string[] = [];

/** Refuses (throws) any outgoing TCP connection or name lookup that is not loopback; records each connection. */
export function guardNetwork(): void {
  const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    let host = 'localhost';
    let port: unknown = '?';
    if (first && typeof first === 'object') {
      const options = first as { host?: string; port?: unknown; path?: string };
      if (options.path) host = `unix:${options.path}`;
      else {
        host = options.host ?? 'localhost';
        port = options.port;
      }
    } else {
      port = first;
      if (typeof args[1] === 'string') host = args[1];
    }
    sockets.push(`${host}:${String(port)}`);
    if (!LOCAL_HOSTS.has(host)) throw new Error(`benchmark network guard: refused a connection to ${host}:${String(port)}`);
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;
  const lookup = dns.lookup as (...args: unknown[]) => void;
  (dns as { lookup: unknown }).lookup = function guardedLookup(...args: unknown[]): void {
    if (!LOCAL_HOSTS.has(String(args[0]))) throw new Error(`benchmark network guard: refused to look up ${String(args[0])}`);
    lookup.apply(dns, args);
  };
  const lookupPromise = dns.promises.lookup as (...args: unknown[]) => Promise<unknown>;
  (dns.promises as { lookup: unknown }).lookup = (...args: unknown[]): Promise<unknown> => {
    if (!LOCAL_HOSTS.has(String(args[0]))) return Promise.reject(new Error(`benchmark network guard: refused to look up ${String(args[0])}`));
    return lookupPromise.apply(dns.promises, args);
  };
}

export function readTask(): ClientTask {
  const text = process.env.BENCH_CLIENT;
  if (!text) throw new Error('BENCH_CLIENT is not set: clients are started by dist/bench/bench.js');
  return JSON.parse(text) as ClientTask;
}

/** Epoch ms with sub-ms precision, comparable across processes on this machine. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The counting point. `see(key)` for every event counted (keys increase: trade ids, book update
 * ids); the window runs from the first key at or past `markKey` to `lastKey`. `sample(sentAt)`
 * records send→count latency once `warmupMs` have passed since the first sample.
 */
export class Meter {
  counted = 0;
  private startedAt = 0;
  private endedAt = 0;
  private started = false;
  private finished = false;
  private readonly latencies: Float64Array | null;
  private latencyCount = 0;
  private firstSampleAt = 0;
  private readonly warmupMs: number;

  constructor(
    private readonly task: ClientTask,
    private readonly done: () => void,
  ) {
    this.latencies = task.latency ? new Float64Array(task.info.count) : null;
    this.warmupMs = task.latency?.warmupMs ?? 0;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  see(key: number): void {
    if (this.finished) return;
    if (!this.started) {
      if (key < this.task.info.markKey) return;
      this.started = true;
      this.startedAt = performance.now();
    }
    this.counted += 1;
    if (key >= this.task.info.lastKey) {
      this.endedAt = performance.now();
      this.finished = true;
      this.done();
    }
  }

  sample(sentAt: number): void {
    const latencies = this.latencies;
    if (!latencies) return;
    const now = preciseNow();
    if (this.firstSampleAt === 0) this.firstSampleAt = now;
    if (now - this.firstSampleAt < this.warmupMs || this.latencyCount >= latencies.length) return;
    latencies[this.latencyCount++] = now - sentAt;
  }

  elapsedMs(): number {
    return this.endedAt - this.startedAt;
  }

  latency(): ClientResult['latencyMs'] {
    if (!this.latencies || this.latencyCount === 0) return undefined;
    const sorted = this.latencies.slice(0, this.latencyCount).sort();
    const at = (q: number): number => round3(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return { samples: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: round3(sorted[sorted.length - 1] as number) };
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/** The measured part of a result; memory and sockets are added by sendResult. */
export type Measured = Pick<ClientResult, 'ok' | 'counted' | 'expected' | 'elapsedMs' | 'msgsPerSec'> & Partial<Pick<ClientResult, 'error' | 'notes' | 'latencyMs'>>;

/** Sends the result (after a full GC, with this process's memory and connections) to the runner, then exits. */
export function sendResult(task: ClientTask, measured: Measured): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const memory = process.memoryUsage();
  const result: ClientResult = {
    client: task.client,
    ...measured,
    elapsedMs: Math.round(measured.elapsedMs * 10) / 10,
    msgsPerSec: Math.round(measured.msgsPerSec),
    rssMb: mb(memory.rss),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    heapMb: mb(memory.heapUsed),
    sockets: [...sockets],
  };
  if (result.notes?.length === 0) delete result.notes;
  const exit = (): void => process.exit(0);
  if (process.send) process.send(result, exit);
  else {
    console.log(JSON.stringify(result));
    exit();
  }
}

/**
 * Reports a meter: events per second over the window, from `counted` (trades, counted by id) or
 * from the window's size (book diffs, where a consumer may see several diffs folded into one update).
 */
function report(task: ClientTask, meter: Meter, countBy: 'counted' | 'window', notes: string[], error?: string): void {
  const elapsedMs = meter.elapsedMs();
  const ok = !error && meter.isFinished;
  const events = countBy === 'window' ? task.info.measured : meter.counted;
  const measured: Measured = { ok, counted: meter.counted, expected: task.info.measured, elapsedMs, msgsPerSec: ok && elapsedMs > 0 ? (events * 1000) / elapsedMs : 0, notes };
  if (error) measured.error = error;
  const latency = meter.latency();
  if (latency) measured.latencyMs = latency;
  sendResult(task, measured);
}

/**
 * Runs a client: network guard, task, meter; the result goes to the runner when the meter has
 * seen the last key, when `body` fails, or at the task's timeout.
 */
export function runClient(body: (task: ClientTask, meter: Meter, notes: string[]) => void | Promise<void>): void {
  guardNetwork();
  const task = readTask();
  // Trades are counted one by one; a book consumer may see several diffs folded into one update.
  const countBy = task.kind === 'depth' ? 'window' : 'counted';
  const notes: string[] = [];
  let reported = false;
  const finish = (error?: string): void => {
    if (reported) return;
    reported = true;
    report(task, meter, countBy, notes, error);
  };
  const meter = new Meter(task, () => finish());
  process.on('uncaughtException', (err) => finish(err.stack ?? err.message));
  setTimeout(() => finish(`timed out after ${task.timeoutMs} ms with ${meter.counted} of ${task.info.measured} counted`), task.timeoutMs);
  Promise.resolve()
    .then(() => body(task, meter, notes))
    .catch((err: unknown) => finish(err instanceof Error ? (err.stack ?? err.message) : String(err)));
}
