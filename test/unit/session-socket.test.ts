import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import type { MarketEvent, NoticeEvent, StatusEvent } from '../../src/model/events';
import type { MarketError } from '../../src/model/errors';
import { FeedSession, type SessionUser } from '../../src/session/feed-session';
import type { ProviderSettings } from '../../src/model/provider';
import { echoProvider, type EchoAdapter } from '../helpers/echo-provider';
import { TestWsServer } from '../helpers/ws-test-server';
import { activeHandles, sleep, waitFor } from '../helpers/wait';

function user(id: string) {
  const events: MarketEvent[] = [];
  const statuses: StatusEvent[] = [];
  const notices: NoticeEvent[] = [];
  const errors: MarketError[] = [];
  const u: SessionUser = { id, onEvent: (e) => events.push(e), onStatus: (s) => (s.type === 'status' ? statuses.push(s) : notices.push(s)), onError: (e) => errors.push(e) };
  return { u, events, statuses, notices, errors };
}

/** Answers auth with a fixed verdict; records subscribe frames. */
function authServer(token: string | null, reason = 'invalid token') {
  return (socket: WebSocket, text: string, server: TestWsServer): void => {
    const frame = JSON.parse(text) as { op: string; token?: string };
    if (frame.op === 'auth') server.send(socket, JSON.stringify({ op: 'auth', ok: token !== null && frame.token === token, reason }));
  };
}

const subscribedKeys = (frames: string[]): string[] =>
  frames.map((f) => JSON.parse(f) as { op: string; keys?: string[] }).filter((f) => f.op === 'subscribe').flatMap((f) => f.keys ?? []);

describe('FeedSession over a real socket (local ws server)', () => {
  let server: TestWsServer;
  let session: FeedSession | null = null;
  afterEach(async () => {
    await session?.close();
    session = null;
    await server.close();
  });

  function open(extra: Partial<ProviderSettings> = {}, options: Parameters<typeof echoProvider>[0] = {}): FeedSession {
    const settings: ProviderSettings = { provider: 'echo', endpoint: server.url, restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra };
    session = new FeedSession(echoProvider({ backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, ...options }), settings);
    return session;
  }

  it('shares one socket between users and resubscribes every key once after a drop', async () => {
    server = await TestWsServer.start();
    const s = open();
    const a = user('a');
    const b = user('b');
    s.attach(a.u);
    s.attach(b.u);
    s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
    s.subscribe('b', [{ channel: 'trade', symbol: 'AAA' }, { channel: 'trade', symbol: 'BBB' }]);
    await waitFor(() => s.status.state === 'connected' && subscribedKeys(server.received[0] ?? []).length === 2, 'first connection');
    assert.equal(server.connections, 1);
    assert.deepEqual(subscribedKeys(server.received[0]!).sort(), ['trade:AAA', 'trade:BBB']);

    server.broadcast(JSON.stringify({ op: 'trade', symbol: 'AAA', price: 10, size: 1, ts: 1 }));
    server.broadcast(JSON.stringify({ op: 'trade', symbol: 'BBB', price: 20, size: 2, ts: 2 }));
    await waitFor(() => b.events.length === 2, 'events');
    assert.deepEqual(a.events.map((e) => e.symbol), ['AAA']);
    assert.deepEqual(b.events.map((e) => e.symbol), ['AAA', 'BBB']);

    server.dropAll();
    await waitFor(() => server.connections === 2 && subscribedKeys(server.received[1] ?? []).length === 2, 'reconnect and resubscribe');
    assert.deepEqual(subscribedKeys(server.received[1]!).sort(), ['trade:AAA', 'trade:BBB'], 'each key exactly once');
    const states = a.statuses.map((st) => st.state);
    assert.deepEqual(states.slice(states.indexOf('reconnecting')), ['reconnecting', 'connected']);
    assert.equal(a.statuses.find((st) => st.state === 'reconnecting')!.attempt, 1);
  });

  it('detects a stalled feed that keeps its socket open, reconnects and resubscribes', async () => {
    server = await TestWsServer.start();
    const heartbeat = setInterval(() => server.broadcast(JSON.stringify({ op: 'heartbeat' })), 50);
    try {
      const s = open({}, { staleAfterMs: 300 });
      const a = user('a');
      s.attach(a.u);
      s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
      await waitFor(() => s.status.state === 'connected', 'connected');
      await sleep(600);
      assert.ok(!a.statuses.some((st) => st.state === 'stale'), 'heartbeats keep a quiet feed alive');
      server.stalled = true;
      const stalledAt = Date.now();
      await waitFor(() => a.statuses.some((st) => st.state === 'stale'), 'stale', 3000);
      const detectedAfterMs = Date.now() - stalledAt;
      // The last heartbeat came at most 50 ms before the stall; the watchdog looks every 75 ms.
      assert.ok(detectedAfterMs >= 240 && detectedAfterMs < 900, `stale after ${detectedAfterMs} ms`);
      server.stalled = false;
      await waitFor(() => server.connections === 2 && s.status.state === 'connected' && subscribedKeys(server.received[1] ?? []).length > 0, 'reconnected and resubscribed');
      assert.deepEqual(subscribedKeys(server.received[1]!), ['trade:AAA']);
      const states = a.statuses.map((st) => st.state);
      assert.deepEqual(states.slice(states.indexOf('stale')), ['stale', 'reconnecting', 'connected']);
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('shows an HTTP refusal as an auth error and waits the cap, then twice as long each time, no tight loop', async () => {
    server = await TestWsServer.start();
    server.rejectWith = 401;
    const s = open({}, { backoff: { initialMs: 20, maxMs: 160, jitter: 0 } });
    const a = user('a');
    s.attach(a.u);
    s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
    await sleep(1200);
    const errors = a.statuses.filter((st) => st.state === 'error');
    // A refusal is not a network blip: the cap (160 ms), then 320, 640 ms (backoff.ts refusedWaitMs).
    assert.ok(errors.length >= 3, `${errors.length} attempts`);
    assert.deepEqual(errors.slice(0, 3).map((st) => st.retryInMs), [160, 320, 640]);
    assert.match(errors[0]!.detail, /HTTP 401/);
    // Tries at 0, 160, 480 and 1120 ms: at most 4 in 1.2 s; a tight loop would make hundreds.
    assert.ok(server.attempts <= 4, `${server.attempts} attempts in 1.2 s`);
    assert.ok(a.errors.some((e) => e.code === 'AUTH'));
  });

  it('carries the provider\'s reason for rejected credentials, never the credential itself', async () => {
    const secret = 'tok-SECRET-1234567890';
    server = await TestWsServer.start(authServer('the-right-token', 'token expired'));
    const s = open({ credentials: { token: secret } });
    const a = user('a');
    s.attach(a.u);
    s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
    await waitFor(() => a.statuses.some((st) => st.state === 'error'), 'auth error');
    const error = a.statuses.find((st) => st.state === 'error')!;
    assert.match(error.detail, /token expired/);
    assert.equal(a.errors[0]!.code, 'AUTH');
    const everything = JSON.stringify([a.statuses, a.errors.map((e) => ({ message: e.message, reason: e.reason }))]);
    assert.ok(!everything.includes(secret));
    assert.equal(subscribedKeys(server.received.flat()).length, 0, 'nothing subscribed before auth succeeded');
  });

  it('resubscribes after auth on every reconnect', async () => {
    server = await TestWsServer.start(authServer('good'));
    const s = open({ credentials: { token: 'good' } });
    const a = user('a');
    s.attach(a.u);
    s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
    await waitFor(() => subscribedKeys(server.received[0] ?? []).length === 1, 'subscribed');
    for (let drop = 1; drop <= 3; drop++) {
      server.dropAll();
      await waitFor(() => subscribedKeys(server.received[drop] ?? []).length === 1, `resubscribed after drop ${drop}`);
      const ops = server.received[drop]!.map((f) => (JSON.parse(f) as { op: string }).op);
      assert.deepEqual(ops, ['auth', 'subscribe']);
    }
  });

  it('leaves no socket, server connection or timer behind after close', async () => {
    await sleep(1); // mocha arms its own test timer at the first await: count from after it
    const before = activeHandles();
    server = await TestWsServer.start();
    let adapter: EchoAdapter | undefined;
    const s = open({}, { staleAfterMs: 1000, onCreate: (created) => (adapter = created) });
    const a = user('a');
    s.attach(a.u);
    s.subscribe('a', [{ channel: 'trade', symbol: 'AAA' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    assert.ok(adapter);
    await s.close();
    session = null;
    await server.close();
    await sleep(20);
    const after = activeHandles();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
      assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
    }
    server = await TestWsServer.start();
  });
});
