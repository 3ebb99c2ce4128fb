/**
 * The provider benchmarks: every `bench/providers/<id>.ts` is a standalone script that measures
 * its provider's path against a baseline in the same run, prints its table and ends with one
 * `JSON:{...}` line of figures. `npm run bench` runs each in its own process, with the network
 * guard preloaded, and keeps the figures in bench/results.json under `providers`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIST } from './processes';

export interface ProviderBenchResult {
  ok: boolean;
  figures?: Record<string, unknown>;
  error?: string;
}

export function providerBenchScripts(): string[] {
  const dir = path.join(BENCH_DIST, 'providers');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => path.join(dir, name));
}

export function runProviderBench(file: string, timeoutMs = 600_000, env: Record<string, string> = {}): Promise<ProviderBenchResult> {
  const guard = path.join(BENCH_DIST, 'lib', 'network-guard.js');
  const child = spawn(process.execPath, ['--expose-gc', '--require', guard, file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    process.stdout.write(data.toString().replace(/^JSON:.*$/m, ''));
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').reverse().find((text) => text.startsWith('JSON:'));
      if (code !== 0 || !line) {
        resolve({ ok: false, error: `exited (${code ?? signal}): ${(stderr || stdout).trim().slice(-1000)}` });
        return;
      }
      try {
        resolve({ ok: true, figures: JSON.parse(line.slice('JSON:'.length)) as Record<string, unknown> });
      } catch (err) {
        resolve({ ok: false, error: `unreadable JSON line: ${(err as Error).message}` });
      }
    });
  });
}
