/** Starting the replay server and the client processes, for the benchmark and the soak. */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientResult, ClientTask, FromServer, ProgramInfo, ServerReport, StreamProgram, ToServer } from './protocol';

export const BENCH_DIST = path.resolve(__dirname, '..');
export const REPO_ROOT = path.resolve(BENCH_DIST, '..', '..');

export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<ServerProcess> {
    const child = fork(path.join(BENCH_DIST, 'lib', 'replay-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the replay server exited (${code}) before listening`)));
      child.once('message', (message: FromServer) => {
        if (message.type === 'ready') resolve(message.port);
      });
    });
    return new ServerProcess(child, port);
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get restBase(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async program(programs: StreamProgram[]): Promise<ProgramInfo[]> {
    const answer = await this.ask({ type: 'program', programs });
    if (answer.type !== 'programmed') throw new Error(`replay server: unexpected answer ${answer.type}`);
    return answer.info;
  }

  async report(): Promise<ServerReport> {
    const answer = await this.ask({ type: 'report' });
    if (answer.type !== 'report') throw new Error(`replay server: unexpected answer ${answer.type}`);
    return answer.report;
  }

  stop(): void {
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToServer);
  }

  private ask(message: ToServer): Promise<FromServer> {
    return new Promise((resolve) => {
      this.child.once('message', (answer: FromServer) => resolve(answer));
      this.child.send(message);
    });
  }
}

export interface ClientRun {
  /** Compiled client file under dist/bench/clients/. */
  file: string;
  task: ClientTask;
  /** Write a CPU profile to bench/profiles/. */
  profile?: boolean;
}

/** Runs one client in its own process (its own heap, its own RSS) and returns its result. */
export function runClientProcess(run: ClientRun): Promise<ClientResult> {
  const args = ['--expose-gc', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  if (run.profile) {
    const dir = path.join(REPO_ROOT, 'bench', 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${run.task.client}-${run.task.kind}-${Date.now()}.cpuprofile`);
  }
  const child = fork(path.join(BENCH_DIST, 'clients', run.file), [], {
    execArgv: args,
    env: { ...process.env, BENCH_CLIENT: JSON.stringify(run.task) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  if (process.env.BENCH_CLIENT_OUTPUT) child.stdout?.pipe(process.stdout);
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  return new Promise((resolve) => {
    let result: ClientResult | null = null;
    const killer = setTimeout(() => child.kill('SIGKILL'), run.task.timeoutMs + 30_000);
    child.on('message', (message: ClientResult) => (result = message));
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve(
        result ?? {
          client: run.task.client,
          ok: false,
          error: `exited (${code ?? signal}) without a result: ${output.trim().slice(-2000)}`,
          counted: 0,
          expected: run.task.info.measured,
          elapsedMs: 0,
          msgsPerSec: 0,
          rssMb: 0,
          peakRssMb: 0,
          heapMb: 0,
          sockets: [],
        },
      );
    });
  });
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpu = (match[1] as string).trim();
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1073741824),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
