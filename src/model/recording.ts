/**
 * The recording file format (docs/architecture.md, "Recording file format"): NDJSON, a header
 * line, then one normalized event per line. Pure text in and out; the writer (src/recording)
 * and the replay provider do the file work.
 */
import { EVENT_CHANNEL, type MarketEvent } from './events';

export const RECORDING_FORMAT = 'market-stream';
export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  recording: typeof RECORDING_FORMAT;
  version: number;
  /** Version of the pack that wrote the file. */
  pack: string;
  provider: string;
  symbols: string[];
  createdAt: number;
}

export function formatHeaderLine(header: Omit<RecordingHeader, 'recording' | 'version'>): string {
  const full: RecordingHeader = { recording: RECORDING_FORMAT, version: RECORDING_VERSION, ...header };
  return `${JSON.stringify(full)}\n`;
}

export function formatEventLine(event: MarketEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** True for a payload a recording can hold: a market event type, a symbol and a usable ts. */
export function isRecordableEvent(value: unknown): value is MarketEvent {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.type === 'string' &&
    Object.prototype.hasOwnProperty.call(EVENT_CHANNEL, record.type) &&
    typeof record.symbol === 'string' &&
    typeof record.ts === 'number' &&
    Number.isFinite(record.ts) &&
    record.ts > 0
  );
}

export type RecordingLine = { kind: 'header'; header: RecordingHeader } | { kind: 'event'; event: MarketEvent } | { kind: 'bad' } | { kind: 'empty' };

/** One line of a recording (without its newline). */
export function parseRecordingLine(line: string): RecordingLine {
  if (line.trim() === '') return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'bad' };
  }
  if (typeof value === 'object' && value !== null && (value as Record<string, unknown>).recording === RECORDING_FORMAT) {
    return { kind: 'header', header: value as RecordingHeader };
  }
  return isRecordableEvent(value) ? { kind: 'event', event: value } : { kind: 'bad' };
}
