/** The recorded Binance frames (samples/SOURCES.md says where each line came from). */
import fs from 'node:fs';
import path from 'node:path';

// Compiled to dist/test/fakes/binance/; the samples stay in the source tree.
const DIR = path.join(__dirname, '..', '..', '..', '..', 'test', 'fakes', 'binance', 'samples');

/** binance.ndjson, one frame per entry (line 1 = index 0). */
export function binanceSampleLines(): string[] {
  return fs.readFileSync(path.join(DIR, 'binance.ndjson'), 'utf8').split('\n').filter((line) => line.trim() !== '');
}

/** The REST depth snapshot of NKNUSDT that the first depth diffs line up with (lastUpdateId 499869752). */
export function binanceSnapshotText(): string {
  return fs.readFileSync(path.join(DIR, 'binance_rest_depth_NKNUSDT.json'), 'utf8');
}
