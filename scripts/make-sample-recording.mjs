// Writes examples/recordings/sim-sample.ndjson.gz: a simulator session (seed 1, fixed start time)
// recorded through the pack's own Recorder, for the replay example. Run after `npm run build`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { FeedSession, Recorder, getProvider } = require(path.join(root, 'dist/src/index.js'));
const file = path.join(root, 'examples/recordings/sim-sample.ndjson');
const events = Number(process.argv[2] ?? 20000);
const start = Date.UTC(2026, 11, 7, 15, 0);
let now = start;
const clock = { now: () => now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h), setInterval: (f, ms) => setInterval(f, ms), clearInterval: (h) => clearInterval(h) };
const recorder = new Recorder({ file, gzip: true, rotate: 'none', maxSizeBytes: 1e9, pack: require(path.join(root, 'package.json')).version, now: () => start, onError: (err) => { throw err; } });
const session = new FeedSession(getProvider('sim'), { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 1, rate: 'max' }, credentials: {} }, { clock });
let count = 0;
const done = new Promise((resolve) => {
  session.attach({ id: 'rec', onEvent: (e) => { if (count < events) { recorder.write({ ...e, receivedAt: e.ts }); count += 1; if (count === events) resolve(); } }, onStatus: () => {}, onError: (e) => console.error(e.message) });
});
session.subscribe('rec', ['quote', 'trade', 'summary'].map((channel) => ({ channel, symbol: 'SPY*' })).concat([{ channel: 'trade', symbol: 'BTC-USD' }, { channel: 'quote', symbol: 'SPY' }]));
await done;
await session.close();
await recorder.close();
console.log(`${count} events → ${file}.gz`);
