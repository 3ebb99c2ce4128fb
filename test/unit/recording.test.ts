/**
 * The recording writer and the replay provider without Node-RED: what lands in the file (header,
 * one event per line, gzip, rotation), bounded memory when the disk is slower than the feed, an
 * unwritable folder as an error and never a throw, and replay's pacing, filters, loop and errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { MarketEvent, StatusEvent, TradeEvent, QuoteEvent } from '../../src/model/events';
import type { MarketError } from '../../src/model/errors';
import type { ProviderSettings } from '../../src/model/provider';
import { Recorder, type RecorderOptions } from '../../src/recording/recorder';
import { replayProvider } from '../../src/providers/replay';
import { decodeRecording } from '../../src/providers/replay/decode';
import { FeedSession, type SessionUser } from '../../src/session/feed-session';
import { waitFor } from '../helpers/wait';

const T0 = Date.UTC(2026, 11, 7, 14, 30);

function trade(symbol: string, ts: number, price = 100): TradeEvent {
  return { type: 'trade', provider: 'sim', symbol, ts, receivedAt: ts + 3, price, size: 2, id: String(ts) };
}
function quote(symbol: string, ts: number): QuoteEvent {
  return { type: 'quote', provider: 'sim', symbol, ts, receivedAt: ts + 1, bid: 99, bidSize: 1, ask: 101, askSize: null };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'market-record-'));
}

function recorder(file: string, extra: Partial<RecorderOptions> = {}): { recorder: Recorder; errors: string[] } {
  const errors: string[] = [];
  const rec = new Recorder({ file, gzip: false, rotate: 'none', maxSizeBytes: 1 << 20, pack: '9.9.9', now: () => Date.now(), onError: (err, name) => errors.push(`${name}: ${err.message}`), ...extra });
  return { recorder: rec, errors };
}

function lines(file: string): Array<Record<string, unknown>> {
  let bytes = fs.readFileSync(file);
  if (file.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  return bytes.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Recorder', () => {
  it('writes a header naming provider, symbols and pack version, then each event exactly as received', async () => {
    const dir = tempDir();
    const { recorder: rec, errors } = recorder(path.join(dir, 'rec.ndjson'));
    const events = [trade('AAPL', T0), quote('AAPL', T0 + 5), trade('SPY', T0 + 9)];
    for (const e of events) assert.equal(rec.write(e), true);
    await rec.close();
    const [header, ...rest] = lines(path.join(dir, 'rec.ndjson'));
    assert.deepEqual({ ...header, createdAt: 0 }, { recording: 'market-stream', version: 1, pack: '9.9.9', provider: 'sim', symbols: ['AAPL'], createdAt: 0 });
    assert.deepEqual(rest, events);
    assert.deepEqual(errors, []);
  });

  it('gzips when asked, adding .gz, and the replay decoder reads it back', async () => {
    const dir = tempDir();
    const { recorder: rec } = recorder(path.join(dir, 'rec.ndjson'), { gzip: true });
    const events = Array.from({ length: 500 }, (_, i) => trade('BTC-USD', T0 + i, 100 + i));
    for (const e of events) rec.write(e);
    await rec.close();
    const bytes = fs.readFileSync(path.join(dir, 'rec.ndjson.gz'));
    assert.equal(bytes[0], 0x1f);
    const decoded = decodeRecording(bytes);
    assert.deepEqual(decoded.events, events);
    assert.equal(decoded.headers.length, 1);
  });

  it('rotates by the UTC day of the events and by size', async () => {
    const dir = tempDir();
    const day = recorder(path.join(dir, 'day.ndjson'), { rotate: 'daily' }).recorder;
    day.write(trade('AAPL', Date.UTC(2026, 11, 7, 23, 59)));
    day.write(trade('AAPL', Date.UTC(2026, 11, 8, 0, 1)));
    await day.close();
    assert.equal(lines(path.join(dir, 'day-2026-12-07.ndjson')).length, 2);
    assert.equal(lines(path.join(dir, 'day-2026-12-08.ndjson')).length, 2);

    const size = recorder(path.join(dir, 'size.ndjson'), { rotate: 'size', maxSizeBytes: 2_000 }).recorder;
    for (let i = 0; i < 40; i += 1) size.write(trade('AAPL', T0 + i));
    await size.close();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('size-')).sort();
    assert.ok(files.length >= 2, `several files: ${files.join(', ')}`);
    let events = 0;
    for (const f of files) {
      assert.ok(fs.statSync(path.join(dir, f)).size <= 2_000, `${f} within maxSize`);
      const content = lines(path.join(dir, f));
      assert.equal(content[0]?.recording, 'market-stream', `${f} starts with a header`);
      events += content.length - 1;
    }
    assert.equal(events, 40);
  });

  it('keeps memory bounded when the disk is slower than the feed: drops past the queue and counts them', async () => {
    const dir = tempDir();
    const { recorder: rec } = recorder(path.join(dir, 'burst.ndjson'), { maxQueueLines: 50 });
    const big = { ...trade('AAPL', T0), conditions: ['x'.repeat(2_000)] };
    let accepted = 0;
    // One synchronous burst: the stream's buffer fills after a few lines and the queue after 50 more.
    for (let i = 0; i < 5_000; i += 1) if (rec.write({ ...big, ts: T0 + i })) accepted += 1;
    const during = rec.stats();
    assert.ok(during.queued <= 50, `queue bounded (${during.queued})`);
    assert.ok(during.dropped > 0, 'some dropped');
    assert.equal(accepted + during.dropped, 5_000);
    await rec.close();
    const after = rec.stats();
    assert.equal(lines(path.join(dir, 'burst.ndjson')).length - 1, accepted, 'every accepted line reached the file');
    assert.equal(after.written, accepted);
  });

  it('reports an unwritable path as an error, drops instead of throwing, and tries again after the pause', async () => {
    const dir = tempDir();
    // A regular file where a folder should be: unwritable for every user, root included.
    fs.writeFileSync(path.join(dir, 'plain-file'), '');
    let now = 1_000;
    const { recorder: rec, errors } = recorder(path.join(dir, 'plain-file', 'rec.ndjson'), { now: () => now });
    assert.equal(rec.write(trade('AAPL', T0)), false);
    await waitFor(() => errors.length > 0, 'the write error');
    assert.match(errors[0] as string, /plain-file\/rec\.ndjson: .*(ENOTDIR|EEXIST)/);
    assert.equal(rec.failing, true);
    assert.equal(rec.write(trade('AAPL', T0 + 1)), false, 'dropped while failing');
    assert.equal(rec.stats().dropped, 2);
    assert.equal(errors.length, 1, 'one error per failure, not one per event');
    now += 10_001;
    assert.equal(rec.failing, false);
    rec.write(trade('AAPL', T0 + 2));
    await waitFor(() => errors.length === 2, 'the second try failing too');
    await rec.close();
  });

  it('reports a full disk (ENOSPC) as an error and keeps running', async function () {
    if (!fs.existsSync('/dev/full')) this.skip();
    const { recorder: rec, errors } = recorder('/dev/full');
    for (let i = 0; i < 100; i += 1) rec.write(trade('AAPL', T0 + i));
    await waitFor(() => errors.length > 0, 'the write error');
    assert.match(errors[0] as string, /ENOSPC/);
    assert.equal(rec.failing, true);
    await rec.close();
  });
});

interface Captured {
  events: MarketEvent[];
  statuses: StatusEvent[];
  errors: MarketError[];
}

function settings(options: Record<string, unknown>): ProviderSettings {
  return { provider: 'replay', endpoint: '', restEndpoint: '', feed: '', options, credentials: {} };
}

function user(captured: Captured): SessionUser {
  return {
    id: 'u1',
    onEvent: (event) => captured.events.push(event),
    onStatus: (status) => {
      if (status.type === 'status') captured.statuses.push(status);
    },
    onError: (error) => captured.errors.push(error),
  };
}

function writeRecording(file: string, events: MarketEvent[]): void {
  const header = JSON.stringify({ recording: 'market-stream', version: 1, pack: 'test', provider: 'sim', symbols: [], createdAt: T0 });
  const body = [header, ...events.map((e) => JSON.stringify(e)), '{"torn":'].join('\n');
  fs.writeFileSync(file, file.endsWith('.gz') ? zlib.gzipSync(body) : body);
}

describe('replay provider', () => {
  const sessions: FeedSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close();
  });

  function play(options: Record<string, unknown>, subs: Array<{ channel: 'trade' | 'quote'; symbol: string }>): Captured {
    const captured: Captured = { events: [], statuses: [], errors: [] };
    const session = new FeedSession(replayProvider, settings(options));
    sessions.push(session);
    session.attach(user(captured));
    session.subscribe('u1', subs);
    return captured;
  }

  const events: MarketEvent[] = [trade('AAPL', T0), quote('AAPL', T0 + 10), trade('SPY', T0 + 20), trade('AAPL', T0 + 400)];

  it('at "max" emits only the subscribed channels and symbols, in file order, with their own ts, and reads gzip', async () => {
    const file = path.join(tempDir(), 'r.ndjson.gz');
    writeRecording(file, events);
    const got = play({ file, speed: 'max' }, [{ channel: 'trade', symbol: 'AAPL' }]);
    await waitFor(() => got.statuses.some((s) => s.detail === 'replay finished'), 'the end of the replay');
    assert.deepEqual(got.events, [events[0], events[3]]);
  });

  it('at 1× keeps the gaps between events; at 4× a quarter of them', async () => {
    const file = path.join(tempDir(), 'r.ndjson');
    writeRecording(file, events);
    for (const [speed, gapMs] of [[1, 400], [4, 100]] as const) {
      const got = play({ file, speed }, [{ channel: 'trade', symbol: 'AAPL' }]);
      const seenAt: number[] = [];
      const push = got.events.push.bind(got.events);
      got.events.push = (...items: MarketEvent[]) => {
        seenAt.push(Date.now());
        return push(...items);
      };
      await waitFor(() => seenAt.length === 2, 'two trades', 3_000);
      const gap = (seenAt[1] as number) - (seenAt[0] as number);
      assert.ok(gap >= gapMs - 25 && gap < gapMs + 150, `speed ${speed}: ${gap} ms between the trades, expected ~${gapMs}`);
    }
  });

  it('loops when asked', async () => {
    const file = path.join(tempDir(), 'r.ndjson');
    writeRecording(file, events);
    const got = play({ file, speed: 'max', loop: true }, [{ channel: 'quote', symbol: 'AAPL' }]);
    await waitFor(() => got.events.length >= 3, 'three passes');
    assert.ok(got.events.every((e) => e.type === 'quote' && e.ts === T0 + 10));
  });

  it('says what is wrong with its options: missing file, bad speed, bad loop', () => {
    const missing = path.join(tempDir(), 'nope.ndjson');
    assert.match(replayProvider.validateSettings(settings({})) ?? '', /options\.file must name the recording/);
    assert.match(replayProvider.validateSettings(settings({ file: missing })) ?? '', /nope\.ndjson does not exist/);
    assert.match(replayProvider.validateSettings(settings({ file: missing, speed: 0 })) ?? '', /options\.speed must be a number from 0\.01 to 10000 .* or "max", got 0/);
    assert.match(replayProvider.validateSettings(settings({ file: missing, speed: 'fast' })) ?? '', /got "fast"/);
    assert.match(replayProvider.validateSettings(settings({ file: missing, loop: 'yes' })) ?? '', /options\.loop must be true or false/);
  });

  it('a file that is not a recording is a CONFIG error and state error, not a crash', async () => {
    const file = path.join(tempDir(), 'junk.txt');
    fs.writeFileSync(file, 'hello\nworld\n');
    const got = play({ file, speed: 'max' }, [{ channel: 'trade', symbol: 'AAPL' }]);
    await waitFor(() => got.errors.length > 0, 'the error');
    assert.equal(got.errors[0]?.code, 'CONFIG');
    assert.match(got.errors[0]?.message ?? '', /holds no events/);
    assert.ok(got.statuses.some((s) => s.state === 'error'));
  });
});
