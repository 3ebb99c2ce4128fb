/** The recorded Coinbase Advanced Trade frames (samples/SOURCES.md says where each line came from). */
import fs from 'node:fs';
import path from 'node:path';

const DIR = path.join(__dirname, '..', '..', '..', '..', 'test', 'fakes', 'coinbase', 'samples');

/** coinbase.ndjson, one frame per entry (line 1 = index 0). */
export function coinbaseSampleLines(): string[] {
  return fs.readFileSync(path.join(DIR, 'coinbase.ndjson'), 'utf8').split('\n').filter((line) => line.trim() !== '');
}
