/**
 * Parse cost of a Kraken frame, number text kept (docs/protocols/kraken.md §7), on the recorded
 * frames in test/fakes/kraken/samples: the adapter's parser (`parseKeepingNumberText`, on
 * lossless-json), the hand-written number quoting + JSON.parse it replaced (kept here only as the
 * reference), and plain JSON.parse (loses the text; the floor). In-process, no network.
 *   npm run build && node dist/bench/kraken-parse.js [rounds]
 */
import { performance } from 'node:perf_hooks';
import { parseKeepingNumberText } from '../src/providers/kraken/decode';
import { krakenSampleLines } from '../test/fakes/kraken/samples';

/** The former parser: every number token outside strings quoted, then JSON.parse. */
function quoteNumbersThenParse(text: string): unknown {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i += 1; i < text.length; ) {
        const d = text.charCodeAt(i);
        i += d === 92 ? 2 : 1;
        if (d === 34) break;
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      for (i += 1; i < text.length; i += 1) {
        const d = text.charCodeAt(i);
        if (!((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45)) break;
      }
      out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
      copied = i;
    } else {
      i += 1;
    }
  }
  return JSON.parse(copied === 0 ? text : out + text.slice(copied));
}

const PARSERS: Array<[string, (text: string) => unknown]> = [
  ['JSON.parse (text lost)', JSON.parse],
  ['hand-written quoting + JSON.parse', quoteNumbersThenParse],
  ['lossless-json (adapter)', parseKeepingNumberText],
];

/** A Kraken-shaped book snapshot of `depth` levels a side, 8-decimal quantities with trailing zeros. */
function syntheticSnapshot(depth: number): string {
  const levels = (from: number, step: number): string => Array.from({ length: depth }, (_, i) => `{"price":${(from + step * i).toFixed(2)},"qty":${(((i * 7919) % 1000) / 100 + 0.1).toFixed(8)}}`).join(',');
  return `{"channel":"book","type":"snapshot","data":[{"symbol":"ETH/USD","bids":[${levels(1797.24, -0.01)}],"asks":[${levels(1797.25, 0.01)}],"checksum":2606672715,"timestamp":"2025-05-06T09:17:26.058911Z"}]}`;
}

/** Median µs per frame over `rounds` rounds of `perRound` parses of every frame. */
function measure(parse: (text: string) => unknown, frames: string[], rounds: number, perRound: number): number {
  const samples: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let n = 0; n < perRound; n++) for (const frame of frames) sink += parse(frame) ? 1 : 0;
    samples.push(((performance.now() - start) * 1000) / (perRound * frames.length));
  }
  if (sink < 0) console.log(sink);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 7);
  const lines = krakenSampleLines();
  const sets: Array<[string, string[], number]> = [
    ['recorded book frames (snapshot 10 + update)', lines.filter((line) => line.startsWith('{"channel":"book"')), 20_000],
    ['all recorded frames', lines, 10_000],
    ['book snapshot, 100 levels a side', [syntheticSnapshot(100)], 1_000],
  ];
  for (const [what, frames, perRound] of sets) {
    const sizes = frames.map((frame) => frame.length).join(', ');
    console.log(`${what}: ${frames.length} frame(s) of ${sizes} chars`);
    for (const [, parse] of PARSERS) measure(parse, frames, 1, perRound); // warm-up: JIT first
    const results = PARSERS.map(([name, parse]) => [name, measure(parse, frames, rounds, perRound)] as const);
    const reference = results[1]![1];
    for (const [name, us] of results) console.log(`  ${name.padEnd(36)} ${us.toFixed(2).padStart(8)} µs/frame  ${(us / reference).toFixed(2)}× the hand-written`);
  }
}

main();
