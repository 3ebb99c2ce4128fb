/**
 * Recording bytes → normalized events, in file order (docs/architecture.md, "Recording file
 * format"). Pure: no file access. Gzip is recognised by its magic bytes, not the file name.
 */
import zlib from 'node:zlib';
import type { MarketEvent } from '../../model/events';
import { parseRecordingLine, type RecordingHeader } from '../../model/recording';

export interface DecodedRecording {
  headers: RecordingHeader[];
  events: MarketEvent[];
  /** Lines that were neither a header nor an event (a torn last line after a crash, say). */
  badLines: number;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function decodeRecording(bytes: Buffer): DecodedRecording {
  // A file rotated or appended after a crash may end in a torn gzip member: keep what decodes.
  const text = isGzip(bytes) ? zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('utf8') : bytes.toString('utf8');
  const out: DecodedRecording = { headers: [], events: [], badLines: 0 };
  for (const line of text.split('\n')) {
    const parsed = parseRecordingLine(line);
    if (parsed.kind === 'header') out.headers.push(parsed.header);
    else if (parsed.kind === 'event') out.events.push(parsed.event);
    else if (parsed.kind === 'bad') out.badLines += 1;
  }
  return out;
}
