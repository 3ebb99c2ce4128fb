/** The recorded Kraken v2 frames (samples/SOURCES.md says where each line came from). */
import fs from 'node:fs';
import path from 'node:path';

const DIR = path.join(__dirname, '..', '..', '..', '..', 'test', 'fakes', 'kraken', 'samples');

/** kraken.ndjson, one frame per entry (line 1 = index 0). */
export function krakenSampleLines(): string[] {
  return fs.readFileSync(path.join(DIR, 'kraken.ndjson'), 'utf8').split('\n').filter((line) => line.trim() !== '');
}
