/**
 * The recorded frames from ../shared/protocols/samples, copied next to their fakes
 * (test/fakes/<id>/samples/, provenance in the SOURCES.md beside them) so a clone without the
 * shared folder still runs the tests. Line numbers are 1-based, as in SOURCES.md.
 */
import fs from 'node:fs';
import path from 'node:path';

// Compiled to dist/test/fakes/: the sources are three levels up, under test/fakes/.
const FAKES_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'fakes');

export function sampleLines(fake: 'dxlink' | 'schwab', file: string): Array<Record<string, unknown>> {
  const text = fs.readFileSync(path.join(FAKES_DIR, fake, 'samples', file), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Line `n` (1-based) of a sample file. */
export function sampleLine(fake: 'dxlink' | 'schwab', file: string, n: number): Record<string, unknown> {
  const line = sampleLines(fake, file)[n - 1];
  if (!line) throw new Error(`${file} has no line ${n}`);
  return line;
}
