/** market-record's config fields (docs/architecture.md, "market-record") → Recorder settings. */
import path from 'node:path';
import type { RotateMode } from './recorder';

const ROTATE_MODES: readonly RotateMode[] = ['none', 'daily', 'size'];

export interface RecordSettings {
  file: string;
  gzip: boolean;
  rotate: RotateMode;
  maxSizeBytes: number;
}

/** Relative paths resolve against `baseDir` (the Node-RED user directory). The recorder's settings from the node's config, or a message saying what to fix. */
export function parseRecordConfig(config: Record<string, unknown>, baseDir: string): RecordSettings {
  const file = String(config.path ?? '').trim();
  if (!file) throw new Error('market-record: set the file path to write the recording to');
  const rotate = (config.rotate || 'none') as RotateMode;
  if (!ROTATE_MODES.includes(rotate)) throw new Error(`market-record: rotate must be none, daily or size, got ${JSON.stringify(config.rotate)}`);
  const maxSizeMB = config.maxSizeMB === undefined || config.maxSizeMB === '' ? 100 : Number(config.maxSizeMB);
  if (!(Number.isFinite(maxSizeMB) && maxSizeMB > 0)) throw new Error(`market-record: maxSizeMB must be a positive number, got ${JSON.stringify(config.maxSizeMB)}`);
  return { file: path.resolve(baseDir, file), gzip: config.gzip === true, rotate, maxSizeBytes: Math.round(maxSizeMB * 1024 * 1024) };
}

