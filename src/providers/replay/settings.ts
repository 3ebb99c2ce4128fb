/** The replay provider's `options`: `{"file": "<path>", "speed": 1 | N | "max", "loop": false}`. */
import fs from 'node:fs';
import path from 'node:path';
import { MarketError } from '../../model/errors';
import { MAX_SPEED, MIN_SPEED } from './limits';

export interface ReplaySettings {
  /** Absolute path of the recording. */
  file: string;
  speed: number | 'max';
  loop: boolean;
}

/** The pack's own folder (from dist/src/providers/replay/): the shipped examples' recordings live under it. */
const PACK_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * Relative `file` paths resolve against `baseDir` (the process's working directory by default);
 * when nothing is there, against the pack's folder, so `examples/recordings/…` works once installed.
 */
export function parseReplayOptions(options: Record<string, unknown>, baseDir = process.cwd()): ReplaySettings {
  const file = options.file;
  if (typeof file !== 'string' || file.trim() === '') throw replayConfigError('options.file must name the recording to play, e.g. {"file": "recordings/session.ndjson.gz"}');
  const speed = options.speed ?? 1;
  if (speed !== 'max' && !(typeof speed === 'number' && Number.isFinite(speed) && speed >= MIN_SPEED && speed <= MAX_SPEED)) {
    throw replayConfigError(`options.speed must be a number from ${MIN_SPEED} to ${MAX_SPEED} (1 = the recording's own pace) or "max", got ${JSON.stringify(speed)}`);
  }
  const loop = options.loop ?? false;
  if (typeof loop !== 'boolean') throw replayConfigError(`options.loop must be true or false, got ${JSON.stringify(loop)}`);
  const fromBase = path.resolve(baseDir, file.trim());
  const fromPack = path.resolve(PACK_ROOT, file.trim());
  return { file: !fs.existsSync(fromBase) && fs.existsSync(fromPack) ? fromPack : fromBase, speed, loop };
}

export function replayConfigError(message: string): MarketError {
  return new MarketError('CONFIG', `replay: ${message}`, { provider: 'replay' });
}

/** What the config node must fix before a replay can start, or null: bad options or a missing file. */
export function replaySettingsProblem(options: Record<string, unknown>): string | null {
  try {
    const { file } = parseReplayOptions(options);
    if (!fs.existsSync(file)) return `replay: the recording ${file} does not exist (a relative path starts at ${process.cwd()}, then at the pack's folder)`;
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
