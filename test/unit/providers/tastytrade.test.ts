/**
 * The tastytrade provider against its fakes (test/fakes/tastytrade REST + test/fakes/dxlink):
 * OAuth → quote token → DXLink, token lifetimes under fake time, rejections, drops and stalls.
 */
import assert from 'node:assert/strict';
import { FeedSession } from '../../../src/session/feed-session';
import { createTastytradeProvider, tastytradeProvider } from '../../../src/providers/tastytrade';
import type { DxlinkTuning } from '../../../src/providers/shared/dxlink/limits';
import type { ProviderSettings } from '../../../src/model/provider';
import { FakeDxlinkServer, type DxFrame } from '../../fakes/dxlink/server';
import { FakeTastytradeRest } from '../../fakes/tastytrade/rest';
import { freshToken } from '../../fakes/http-json';
import { SecretWatch } from '../../fakes/secret-watch';
import { sampleLine } from '../../fakes/samples';
import { fakeClock } from '../../helpers/fake-clock';
import { waitFor } from '../../helpers/wait';
import { recordingUser, tickSeconds } from './provider-harness';

const OCC = 'AAPL  250117C00150000';
const STREAMER = '.AAPL250117C150';
const MINUTE = 60_000;

describe('tastytrade provider (fake REST + fake DXLink)', function () {
  this.timeout(20_000);
  const watch = new SecretWatch();
  let dxlink: FakeDxlinkServer;
  let rest: FakeTastytradeRest;
  let session: FeedSession | null = null;
  let time: ReturnType<typeof fakeClock>;

  async function setUp(all: { accessLifetimeS?: number; quoteLifetimeMs?: number; keepaliveTimeoutS?: number; keepaliveIntervalMs?: number; tuning?: DxlinkTuning } = {}) {
    const { tuning, ...options } = all;
    time = fakeClock();
    const clientSecret = freshToken('tt-client-secret');
    const refreshToken = freshToken('tt-refresh');
    watch.secret(clientSecret, refreshToken);
    dxlink = await FakeDxlinkServer.start({ now: time.clock.now, keepaliveTimeoutS: options.keepaliveTimeoutS ?? 60, keepaliveIntervalMs: options.keepaliveIntervalMs ?? 30_000 });
    rest = await FakeTastytradeRest.start({ clientSecret, refreshToken, dxlink, now: time.clock.now, ...options });
    const fakeRest = rest;
    watch.issuedBy(() => fakeRest.issued);
    const settings: ProviderSettings = { provider: 'tastytrade', endpoint: '', restEndpoint: rest.url, feed: '', options: {}, credentials: { clientSecret, refreshToken } };
    session = new FeedSession(tuning ? createTastytradeProvider(tuning) : tastytradeProvider, settings, { clock: time.clock, log: watch.logger() });
    const user = recordingUser('u1', watch);
    session.attach(user.user);
    return { session, user };
  }

  afterEach(async () => {
    await session?.close();
    session = null;
    await rest?.close();
    await dxlink?.close();
  });

  it('streams quotes, greeks and theo prices for an OCC symbol; events carry the OCC symbol and option fields', async () => {
    const { session: s, user } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: OCC }, { channel: 'greeks', symbol: OCC }, { channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 4, 'connected and subscribed');
    assert.deepEqual(dxlink.subscriptions(), [`Greeks:${STREAMER}`, `Quote:${STREAMER}`, 'Quote:SPY', `TheoPrice:${STREAMER}`]);
    // What went over the wire, in the documented shapes (samples lines 6, 8, 10).
    const frames = dxlink.frames[0]!;
    assert.deepEqual(frames.slice(0, 2).map((f) => f.type), ['SETUP', 'AUTH']);
    const setup = frames.find((f) => f.type === 'FEED_SETUP')!;
    assert.equal(setup.acceptDataFormat, 'COMPACT');
    assert.ok((setup.acceptEventFields as Record<string, string[]>).Quote!.includes('bidPrice'));

    dxlink.publish([
      { eventType: 'Quote', eventSymbol: STREAMER, bidPrice: 12.1, bidSize: 10, askPrice: 12.3, askSize: 'NaN', bidExchangeCode: 'C', askExchangeCode: '', bidTime: 1736870400000, askTime: 1736870400100 },
      { eventType: 'Greeks', eventSymbol: STREAMER, time: 1736870400000, volatility: 0.31, delta: 0.52, gamma: 0.03, theta: -0.07, vega: 0.25, rho: 0.1 },
      { eventType: 'TheoPrice', eventSymbol: STREAMER, time: 1736870400000, price: 12.2, underlyingPrice: 151.3, delta: 0.52, gamma: 0.03 },
      { eventType: 'Quote', eventSymbol: 'SPY', bidPrice: 500.01, bidSize: 300, askPrice: 500.02, askSize: 200 },
    ]);
    await waitFor(() => user.events.length === 4, 'four events');
    const option = { underlying: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 150, multiplier: 100 };
    const now = time.clock.now();
    assert.deepEqual(user.events.find((e) => e.type === 'quote' && e.symbol === OCC), { type: 'quote', provider: 'tastytrade', symbol: OCC, ts: 1736870400100, receivedAt: now, bid: 12.1, bidSize: 10, ask: 12.3, askSize: null, bidExchange: 'C', option });
    assert.deepEqual(user.events.find((e) => e.type === 'greeks'), { type: 'greeks', provider: 'tastytrade', symbol: OCC, ts: 1736870400000, receivedAt: now, delta: 0.52, gamma: 0.03, theta: -0.07, vega: 0.25, rho: 0.1, iv: 0.31, option });
    assert.deepEqual(user.events.find((e) => e.type === 'theo'), { type: 'theo', provider: 'tastytrade', symbol: OCC, ts: 1736870400000, receivedAt: now, price: 12.2, underlyingPrice: 151.3, delta: 0.52, gamma: 0.03, dividend: null, interest: null, option });
    assert.deepEqual(user.events.find((e) => e.symbol === 'SPY'), { type: 'quote', provider: 'tastytrade', symbol: 'SPY', ts: now, receivedAt: now, bid: 500.01, bidSize: 300, ask: 500.02, askSize: 200 });

    s.unsubscribe('u1', [{ channel: 'greeks', symbol: OCC }]);
    await waitFor(() => dxlink.subscriptions().length === 2, 'greeks removed upstream');
    assert.deepEqual(dxlink.subscriptions(), [`Quote:${STREAMER}`, 'Quote:SPY']);
  });

  it('keeps one DXLink connection across 4 access-token expiries and a quote-token renewal; a later reconnect uses the renewed token', async () => {
    const { session: s, user } = await setUp({ accessLifetimeS: 900, quoteLifetimeMs: 60 * MINUTE });
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }, { channel: 'greeks', symbol: OCC }]);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 3, 'connected');
    const subscribed = dxlink.subscriptions();
    assert.equal(rest.tokenRequests, 1);
    assert.equal(rest.quoteTokenRequests, 1);
    for (let expiry = 1; expiry <= 4; expiry += 1) {
      await time.tickAsync(15 * MINUTE);
      await waitFor(() => s.stats().adapter.accessTokens === 1 + expiry, `access token refresh ${expiry}`);
      const before = user.events.length;
      dxlink.publish([{ eventType: 'Quote', eventSymbol: 'SPY', bidPrice: 500 + expiry, bidSize: 1, askPrice: 501 + expiry, askSize: 1 }]);
      await waitFor(() => user.events.length === before + 1, `a quote after expiry ${expiry}`);
      assert.equal(s.status.state, 'connected');
    }
    assert.equal(dxlink.connections, 1, 'no second connection');
    assert.equal(dxlink.openSockets, 1);
    assert.deepEqual(dxlink.subscriptions(), subscribed, 'no subscription lost');
    assert.equal(rest.quoteTokenRequests, 2, 'the quote token was renewed before its expiry (54 of 60 minutes)');
    assert.ok(!user.statuses.some((st) => st.state === 'reconnecting' || st.state === 'error'));

    // The first quote token has expired by now; a drop makes the stream reconnect with the renewed one.
    dxlink.dropAll();
    await waitFor(() => dxlink.connections === 2 && s.status.state === 'connected' && dxlink.subscriptions().length === 3, 'reconnected', 8000);
    assert.equal(dxlink.authRejections, 0, 'the renewed token was used');
    assert.deepEqual(dxlink.subscriptions(), subscribed);
    const resubscribe = dxlink.frames[1]!.find((f) => f.type === 'FEED_SUBSCRIPTION')!;
    assert.equal(resubscribe.reset, true);
    assert.deepEqual(user.statuses.map((st) => st.state).slice(-2), ['reconnecting', 'connected']);
  });

  it('shows a refused refresh token as a red error with tastytrade\'s reason, and waits the 30 s cap before every retry', async () => {
    const { session: s, user } = await setUp();
    rest.refuseGrant = 'Grant revoked by the user';
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      await waitFor(() => rest.tokenRequests === attempt && user.statuses.filter((st) => st.state === 'error').length === attempt, `attempt ${attempt}`);
      const status = user.statuses.at(-1)!;
      assert.equal(status.state, 'error');
      assert.equal(status.attempt, attempt);
      delays.push(status.retryInMs!);
      await time.tickAsync(status.retryInMs! - 1);
      assert.equal(rest.tokenRequests, attempt, 'no attempt before the delay is over');
      await time.tickAsync(1);
    }
    // Issue 17 item 2: a refusal is not a network blip, so no retry comes sooner than the cap.
    delays.forEach((delay, i) => assert.ok(delay >= 30_000, `attempt ${i + 1}: ${delay} ms, at least the 30 s cap`));
    const error = user.errors.at(-1)!;
    assert.equal(error.code, 'AUTH');
    assert.equal(error.reason, 'invalid_grant: Grant revoked by the user');
    assert.match(error.message, /tastytrade refused the OAuth token request \(invalid_grant: Grant revoked by the user\)/);
    assert.equal(dxlink.connections, 0);
  });

  it('asks for a token at most twice in the first minute after a refusal, and says why and when the next try comes', async () => {
    const { session: s, user } = await setUp();
    rest.refuseGrant = 'Grant revoked by the user';
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => rest.tokenRequests === 1 && s.status.state === 'error', 'the first refusal');
    assert.equal(user.statuses.at(-1)!.retryInMs, 30_000);
    await tickSeconds(time, 59);
    assert.equal(rest.tokenRequests, 2, 'one retry in the first 60 s, at the 30 s cap');
    await tickSeconds(time, 30);
    assert.equal(rest.tokenRequests, 2, 'the second refusal waits longer: 60 s');
    await tickSeconds(time, 1);
    await waitFor(() => rest.tokenRequests === 3, 'still retrying, 60 s after the second refusal');
    const status = user.statuses.at(-1)!;
    assert.equal(status.state, 'error');
    assert.match(status.detail, /invalid_grant: Grant revoked by the user.*next try in 120 s/);
    assert.equal(status.retryInMs, 120_000);
    assert.equal(dxlink.connections, 0);
  });

  it('treats a quote token the DXLink server refuses as an auth error, and comes back with a fresh one', async () => {
    const { session: s, user } = await setUp({ tuning: { backoff: { initialMs: 50, maxMs: 200, jitter: 0 } } });
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    // The server forgets every token (e.g. revoked) and drops the connection.
    dxlink.tokens.clear();
    dxlink.dropAll();
    // The refused quote token waits the DXLink socket's cap (real time): 30 s by default, so this test opens with a short one.
    await waitFor(() => user.statuses.some((st) => st.state === 'error'), 'auth error', 8000);
    const error = user.errors.find((e) => e.code === 'AUTH')!;
    assert.match(error.message, /tastytrade refused the streaming token \(UNAUTHORIZED: Token is invalid\)/);
    assert.equal(rest.quoteTokenRequests, 1);
    const retry = user.statuses.at(-1)!.retryInMs!;
    await time.tickAsync(retry);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 1, 'connected with a new quote token', 8000);
    assert.equal(rest.quoteTokenRequests, 2);
    assert.equal(dxlink.authRejections, 1);
  });

  it('reconnects after a stall (nothing within the server\'s keepaliveTimeout) and resubscribes; reads a mid-session switch to FULL and reordered fields', async () => {
    const { session: s, user } = await setUp({ keepaliveTimeoutS: 1, keepaliveIntervalMs: 200 });
    dxlink.reorderFields = true;
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 1, 'connected');
    dxlink.publish([{ eventType: 'Quote', eventSymbol: 'SPY', bidPrice: 1.5, bidSize: 2, askPrice: 1.6, askSize: 3 }]);
    await waitFor(() => user.events.length === 1, 'first quote (reversed COMPACT order)');
    assert.deepEqual([user.events[0]!.type === 'quote' && user.events[0]!.bid, (user.events[0] as { askSize: number }).askSize], [1.5, 3]);

    dxlink.replay({ type: 'FEED_CONFIG', channel: 1, dataFormat: 'FULL', aggregationPeriod: 0.1 } as DxFrame);
    dxlink.publish([{ eventType: 'Quote', eventSymbol: 'SPY', bidPrice: 1.7, bidSize: 2, askPrice: 1.8, askSize: 3 }]);
    await waitFor(() => user.events.length === 2, 'FULL quote');
    assert.equal((user.events[1] as { bid: number }).bid, 1.7);

    dxlink.stallAll();
    // The dead-peer check (the server's keepaliveTimeout, 1 s here) reconnects on real time, without a tick.
    await waitFor(() => user.statuses.some((st) => st.state === 'reconnecting'), 'reconnecting', 5000);
    await waitFor(() => dxlink.connections === 2 && s.status.state === 'connected' && dxlink.subscriptions().length === 1, 'reconnected', 8000);
    assert.deepEqual(dxlink.subscriptions(), ['Quote:SPY']);
  });

  it('replays recorded frames over the wire: quotes decode, a misaligned spec example is reported, not emitted', async () => {
    const { session: s, user } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: 'AAPL' }, { channel: 'quote', symbol: 'SPX' }]);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 2, 'connected');
    const line = (n: number) => sampleLine('dxlink', 'dxlink-tastytrade.ndjson', n) as DxFrame;
    dxlink.replay(line(14));
    dxlink.replay(line(15));
    await waitFor(() => user.events.length === 2, 'two quotes');
    assert.deepEqual(user.events.map((e) => [e.symbol, (e as { bid: number }).bid, (e as { askSize: number | null }).askSize]), [['AAPL', 168.4, 10], ['SPX', 4979.73, null]]);
    dxlink.replay(line(17));
    dxlink.replay(line(18));
    await waitFor(() => user.errors.filter((e) => e.code === 'PROTOCOL').length === 2, 'two protocol errors');
    assert.equal(user.events.length, 2);
    dxlink.replay(line(24));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(s.status.state, 'connected', 'an informational ERROR does not drop the stream');
  });

  it('shows an unreachable DXLink server as reconnecting (not an auth error) and connects once it is there', async () => {
    const { session: s, user } = await setUp();
    const port = Number(new URL(dxlink.url).port);
    const down = dxlink;
    await down.close();
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => user.statuses.some((st) => st.state === 'reconnecting'), 'reconnecting');
    const status = user.statuses.find((st) => st.state === 'reconnecting')!;
    assert.match(status.detail, /Unable to connect/);
    assert.ok(!user.statuses.some((st) => st.state === 'error') && user.errors.length === 0, 'no auth error for a network failure');
    dxlink = await FakeDxlinkServer.start({ now: time.clock.now, port });
    // The REST fake registered the quote token with the server it was started with.
    for (const [token, expiresAt] of down.tokens) dxlink.tokens.set(token, expiresAt);
    await time.tickAsync(status.retryInMs!);
    await waitFor(() => s.status.state === 'connected' && dxlink.subscriptions().length === 1, 'connected');
  });

  it('leaves no socket open after close', async () => {
    const { session: s } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    await s.close();
    session = null;
    await waitFor(() => dxlink.openSockets === 0, 'the server sees the socket close');
    assert.equal(s.status.state, 'closed');
  });

  it('shows no credential or token in anything captured above', () => {
    assert.ok(watch.capturedCount > 50);
    watch.assertClean();
  });
});
