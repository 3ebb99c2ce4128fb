/** Messages between the benchmark runner, the replay server and the client processes (over IPC). */

export type StreamKind = 'trade' | 'depth';

export interface StreamProgram {
  kind: StreamKind;
  /** Frames to send after the subscription; Infinity = until stopped (generated on the fly). */
  count: number;
  /** Frames per second; 0 = as fast as the client takes them (pre-built frames, backpressure). */
  rate: number;
  /** Each frame carries its send time: `T` (and `E`) = the send instant in the connection's unit, and an extra field `L` (epoch ms, fractional). */
  stampSendTime: boolean;
}

export type ToServer = { type: 'program'; programs: StreamProgram[] } | { type: 'report' } | { type: 'exit' };

export interface ProgramInfo {
  kind: StreamKind;
  count: number;
  /** Key (trade id or diff `u`) of the first frame counted in the measured window. */
  markKey: number;
  /** Key of the last frame. */
  lastKey: number;
  /** Frames from the mark to the last one, both included. */
  measured: number;
}

export interface ServerReport {
  /** Data frames written, per stream. */
  sent: Record<string, number>;
  /** REST paths served. */
  restCalls: string[];
  /** Depth snapshots asked for while no book was waiting for one (a client lost sync). */
  unexpectedSnapshots: number;
  connections: number;
  /** Remote addresses of every connection (all 127.0.0.1). */
  remotes: string[];
}

export type FromServer = { type: 'ready'; port: number } | { type: 'programmed'; info: ProgramInfo[] } | { type: 'report'; report: ServerReport };

/** What a client process is asked to do (JSON in the BENCH_CLIENT environment variable). */
export interface ClientTask {
  client: string;
  /** ws://127.0.0.1:port */
  wsBase: string;
  /** http://127.0.0.1:port */
  restBase: string;
  kind: StreamKind;
  info: ProgramInfo;
  /** Latency run: record send→count time of each frame after `warmupMs`. */
  latency?: { warmupMs: number };
  /** Give up after this long. */
  timeoutMs: number;
  /** Offline book contest: number of diffs (and the top-N depth read after each). */
  books?: { diffs: number; depth: number; rounds: number };
}

export interface ClientResult {
  client: string;
  ok: boolean;
  error?: string;
  /** Events counted in the measured window (trades by id, book updates by update id). */
  counted: number;
  /** Expected in the window. */
  expected: number;
  elapsedMs: number;
  msgsPerSec: number;
  /** After the run. */
  rssMb: number;
  /** Peak resident set of the process (getrusage maxRSS). */
  peakRssMb: number;
  /** Heap in use after a full GC at the end. */
  heapMb: number;
  latencyMs?: { samples: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Every outgoing TCP connection the process opened (host:port). */
  sockets: string[];
  notes?: string[];
}
