/**
 * The schwab provider against its fakes (test/fakes/schwab): token → preferences → LOGIN →
 * SUBS, access-token lifetimes under fake time, the 7-day refresh token's warning and expiry,
 * refusals with capped backoff, drops and stalls.
 */
import assert from 'node:assert/strict';
import { FeedSession } from '../../../src/session/feed-session';
import { schwabProvider } from '../../../src/providers/schwab';
import type { ProviderSettings } from '../../../src/model/provider';
import { FakeSchwab } from '../../fakes/schwab/fake';
import { freshToken } from '../../fakes/http-json';
import { SecretWatch } from '../../fakes/secret-watch';
import { sampleLine } from '../../fakes/samples';
import { fakeClock } from '../../helpers/fake-clock';
import { waitFor } from '../../helpers/wait';
import { recordingUser, tickSeconds, type RecordingUser } from './provider-harness';

const OCC = 'GOOG  240517C00070000';
const MINUTE = 60_000;
const DAY = 86_400_000;

describe('schwab provider (fake REST + fake streamer)', function () {
  this.timeout(20_000);
  const watch = new SecretWatch();
  let fake: FakeSchwab;
  let sessions: FeedSession[] = [];
  let time: ReturnType<typeof fakeClock>;

  async function setUp(options: Record<string, unknown> = {}, credentials: { refreshToken?: string } = {}) {
    time = fakeClock();
    const clientId = freshToken('schwab-app-key');
    const clientSecret = freshToken('schwab-app-secret');
    const refreshToken = freshToken('schwab-refresh');
    watch.secret(clientId, clientSecret, refreshToken, `${clientId}:${clientSecret}`, Buffer.from(`${clientId}:${clientSecret}`).toString('base64'));
    fake = await FakeSchwab.start({ clientId, clientSecret, refreshToken, now: time.clock.now, heartbeatMs: 0 });
    const current = fake;
    watch.issuedBy(() => [...current.issued, current.customerId, current.correlId]);
    const settings: ProviderSettings = { provider: 'schwab', endpoint: '', restEndpoint: fake.restUrl, feed: '', options, credentials: { clientId, clientSecret, refreshToken: credentials.refreshToken ?? refreshToken } };
    return { settings, ...openSession(settings) };
  }

  function openSession(settings: ProviderSettings): { s: FeedSession; user: RecordingUser } {
    const s = new FeedSession(schwabProvider, settings, { clock: time.clock, log: watch.logger() });
    sessions.push(s);
    const user = recordingUser(`u${sessions.length}`, watch);
    s.attach(user.user);
    return { s, user };
  }

  /** Advances fake time in 40 s steps, each with a frame from the fake (the 60 s watchdog stays fed). */
  async function advance(ms: number, user: RecordingUser): Promise<void> {
    for (let done = 0; done < ms; done += 40_000) {
      await time.tickAsync(Math.min(40_000, ms - done));
      const before = user.events.length;
      if (fake.publish('LEVELONE_EQUITIES', 'SPY', { '1': 500 + (done % 7), '34': time.clock.now() }) > 0) {
        await waitFor(() => user.events.length > before, 'a quote');
      } else {
        fake.heartbeat();
      }
    }
  }

  afterEach(async () => {
    for (const s of sessions) await s.close();
    sessions = [];
    await fake?.close();
  });

  it('logs in with the bare access token and streams options level 1 (quote, greeks) and an options book for an OCC symbol', async () => {
    const { s, user } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: OCC }, { channel: 'greeks', symbol: OCC }, { channel: 'book', symbol: OCC, depth: 2 }, { channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 3, 'connected and subscribed');
    assert.deepEqual(fake.subscriptions(), [`LEVELONE_EQUITIES:SPY`, `LEVELONE_OPTIONS:${OCC}`, `OPTIONS_BOOK:${OCC}`]);
    const [login, ...rest] = fake.commands[0]!;
    // The shape of the guide's LOGIN (sample line 1): ids from the preferences, the bare token.
    const sample = sampleLine('schwab', 'schwab.ndjson', 1) as { requests: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(login!).sort(), Object.keys(sample.requests[0]!).sort());
    assert.equal((login!.parameters as { Authorization: string }).Authorization, fake.issued[0]);
    assert.equal(login!.SchwabClientCustomerId, fake.customerId);
    assert.ok(rest.every((command) => typeof command.requestid === 'string' && typeof (command.parameters as { fields?: string }).fields === 'string'));

    fake.publish('LEVELONE_OPTIONS', OCC, { '2': 102.15, '3': 103.75, '16': 20, '17': 20, '38': 1715786878997, '10': 35.5, '28': 0.61, '29': 0.02, '30': -0.05, '31': 0.11, '32': 0.03, '34': 102.9, '35': 172.93, '13': 100 });
    fake.publish('OPTIONS_BOOK', OCC, { '1': 1715786879000, '2': [{ '0': 102.15, '1': 20, '2': 1, '3': [] }, { '0': 102.1, '1': 5, '2': 1, '3': [] }, { '0': 101.9, '1': 9, '2': 1, '3': [] }], '3': [{ '0': 103.75, '1': 20, '2': 1, '3': [] }] });
    await waitFor(() => user.events.length === 3, 'quote, greeks and book');
    const option = { underlying: 'GOOG', expiry: '2024-05-17', right: 'call', strike: 70, multiplier: 100 };
    const now = time.clock.now();
    assert.deepEqual(user.events.find((e) => e.type === 'greeks'), { type: 'greeks', provider: 'schwab', symbol: OCC, receivedAt: now, option, ts: now, delta: 0.61, gamma: 0.02, theta: -0.05, vega: 0.11, rho: 0.03, iv: 0.355, theo: 102.9, underlyingPrice: 172.93 });
    assert.deepEqual(user.events.find((e) => e.type === 'book'), { type: 'book', provider: 'schwab', symbol: OCC, receivedAt: now, option, ts: 1715786879000, bids: [[102.15, 20], [102.1, 5]], asks: [[103.75, 20]], depth: 2 });

    // A change carries only the changed fields: the quote keeps the rest from the image.
    fake.publish('LEVELONE_OPTIONS', OCC, { '2': 102.2 });
    await waitFor(() => user.events.length === 4, 'the changed quote');
    assert.deepEqual([(user.events[3] as { bid: number }).bid, (user.events[3] as { ask: number }).ask, user.events[3]!.type], [102.2, 103.75, 'quote']);

    s.unsubscribe('u1', [{ channel: 'greeks', symbol: OCC }]);
    s.unsubscribe('u1', [{ channel: 'book', symbol: OCC }]);
    await waitFor(() => fake.subscriptions().length === 2, 'book unsubscribed, level 1 kept for the quote');
    assert.deepEqual(fake.subscriptions(), ['LEVELONE_EQUITIES:SPY', `LEVELONE_OPTIONS:${OCC}`]);
  });

  it('streams across 4 access-token expiries on one connection: no second login, no lost subscription', async () => {
    const { s, user } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }, { channel: 'quote', symbol: OCC }]);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 2, 'connected');
    const subscribed = fake.subscriptions();
    await advance(4 * 30 * MINUTE + MINUTE, user);
    await waitFor(() => fake.tokenRequests >= 5, 'four refreshes after the first token');
    assert.equal(s.stats().adapter.accessTokens, 5);
    assert.equal(fake.connections, 1, 'one streamer connection');
    assert.equal(fake.logins, 1);
    assert.equal(fake.duplicateLogins, 0);
    assert.deepEqual(fake.subscriptions(), subscribed);
    assert.ok(!user.statuses.some((st) => st.state !== 'connecting' && st.state !== 'connected'), user.statuses.map((st) => st.state).join(','));
    // The tokens issued after the first one are good for a new login: drop, and the reconnect logs in again.
    fake.dropAll();
    await waitFor(() => s.status.state === 'reconnecting', 'reconnecting');
    await time.tickAsync(user.statuses.at(-1)!.retryInMs!);
    await waitFor(() => fake.logins === 2 && s.status.state === 'connected' && fake.subscriptions().length === 2, 'logged in again');
    assert.equal(fake.commands[1]!.filter((c) => c.command === 'SUBS').length, 2, 'SUBS per service after the login');
  });

  it('warns on every user a day before the 7-day refresh token expires, then turns red with how to get a new one', async () => {
    const { s, user } = await setUp({ refreshTokenIssuedAt: new Date(Date.UTC(2026, 10, 20, 15, 0, 0) - 6 * DAY - 23 * 3_600_000).toISOString() });
    const second = { user: recordingUser('u2', watch) };
    s.attach(second.user.user);
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    const expiresAt = Date.UTC(2026, 10, 20, 15, 0, 0) + 3_600_000;
    assert.equal(s.stats().adapter.refreshTokenExpiresAt, expiresAt);
    assert.equal(s.stats().adapter.refreshTokenIssuedAtSet, 1);
    for (const u of [user, second.user]) {
      assert.equal(u.notices.length, 1);
      assert.deepEqual({ ...u.notices[0]!, detail: '' }, { type: 'notice', level: 'warning', code: 'REFRESH_TOKEN_EXPIRING', detail: '', at: expiresAt, provider: 'schwab', ts: time.clock.now() });
      assert.match(u.notices[0]!.detail, /expires in about 1 h/);
    }
    // Schwab stops honouring it; the next refresh (27 min after the first token) is refused.
    fake.expireRefreshToken();
    await advance(28 * MINUTE, user);
    await waitFor(() => s.status.state === 'error', 'red');
    const error = user.errors.find((e) => e.code === 'AUTH')!;
    assert.equal(error.reason, 'refresh_token_authentication_error: Exception while authenticating refresh token [tokenDigest=******, Exception=Failed refresh token authentication [tokenDigest=******]]');
    assert.match(error.message, /Schwab refused the refresh token .*its 7 days are up\. Sign in again .* paste the new refresh token into the provider config node/);
  });

  it('warns exactly one day ahead when the token is younger than six days at start', async () => {
    const { s, user } = await setUp({ refreshTokenIssuedAt: Date.UTC(2026, 10, 20, 15, 0, 0) - 6 * DAY + 10 * MINUTE });
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    assert.equal(user.notices.length, 0);
    await advance(9 * MINUTE, user);
    assert.equal(user.notices.length, 0);
    await advance(MINUTE + 1_000, user);
    assert.equal(user.notices.length, 1);
    assert.match(user.notices[0]!.detail, /expires in about 24 h/);
  });

  it('shows a refused login as a red error with Schwab\'s reason, and waits the 30 s cap after the first, twice as long after each next, up to 8 min', async () => {
    const { s, user } = await setUp();
    fake.denyLogin = { code: 3, msg: 'Login Denied.: token is invalid or has expired.' };
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      await waitFor(() => fake.logins === attempt && user.statuses.filter((st) => st.state === 'error').length === attempt, `attempt ${attempt}`);
      const status = user.statuses.at(-1)!;
      delays.push(status.retryInMs!);
      await time.tickAsync(status.retryInMs! - 1);
      assert.equal(fake.connections, attempt, 'no attempt before the delay is over');
      await time.tickAsync(1);
    }
    // Issue 17 item 2: a refusal is not a network blip (transport/backoff.ts refusedWaitMs).
    assert.deepEqual(delays, [30_000, 60_000, 120_000, 240_000, 480_000, 480_000, 480_000, 480_000, 480_000]);
    const error = user.errors.at(-1)!;
    assert.equal(error.code, 'AUTH');
    assert.equal(error.reason, 'code 3: Login Denied.: token is invalid or has expired.');
    assert.equal(fake.tokenRequests, 9, 'a refused login gets a fresh access token next time');
  });

  it('shows a refused refresh token at start as a red error with Schwab\'s reason', async () => {
    const { s, user } = await setUp({}, { refreshToken: freshToken('schwab-wrong-refresh') });
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'error', 'red');
    assert.equal(user.errors[0]!.reason?.startsWith('refresh_token_authentication_error'), true);
    assert.equal(fake.connections, 0);
  });

  it('asks for a token at most twice in the first minute after a refused refresh token, and says why and when the next try comes', async () => {
    const { s, user } = await setUp({}, { refreshToken: freshToken('schwab-wrong-refresh') });
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => fake.tokenRequests === 1 && s.status.state === 'error', 'the first refusal');
    assert.equal(user.statuses.at(-1)!.retryInMs, 30_000);
    await tickSeconds(time, 59);
    assert.equal(fake.tokenRequests, 2, 'one retry in the first 60 s, at the 30 s cap');
    await tickSeconds(time, 30);
    assert.equal(fake.tokenRequests, 2, 'the second refusal waits longer: 60 s');
    await tickSeconds(time, 1);
    await waitFor(() => fake.tokenRequests === 3, 'still retrying, 60 s after the second refusal');
    const status = user.statuses.at(-1)!;
    assert.equal(status.state, 'error');
    assert.match(status.detail, /Schwab refused the refresh token \(refresh_token_authentication_error.*next try in 120 s/);
    assert.equal(status.retryInMs, 120_000);
    assert.equal(fake.connections, 0);
  });

  it('reconnects after a drop and after a stall, logging in and resubscribing each time; a second program on the same login is refused', async () => {
    const { s, user, settings } = await setUp();
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }, { channel: 'book', symbol: 'MSFT' }]);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 2, 'connected');
    assert.deepEqual(fake.subscriptions(), ['LEVELONE_EQUITIES:SPY', 'NASDAQ_BOOK:MSFT']);

    const other = openSession(settings);
    other.s.subscribe('u2', [{ channel: 'quote', symbol: 'AAPL' }]);
    await waitFor(() => other.user.statuses.some((st) => st.state === 'reconnecting'), 'the second login refused');
    assert.match(other.user.statuses.find((st) => st.state === 'reconnecting')!.detail, /code 12.*one stream per user/);
    assert.equal(fake.duplicateLogins, 1);
    await other.s.close();

    fake.dropAll();
    await waitFor(() => s.status.state === 'reconnecting', 'reconnecting');
    await time.tickAsync(user.statuses.at(-1)!.retryInMs!);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 2, 'back after the drop');

    fake.stallAll();
    await time.tickAsync(62_000);
    await waitFor(() => user.statuses.some((st) => st.state === 'stale'), 'stale');
    await time.tickAsync(user.statuses.at(-1)!.retryInMs ?? 1_000);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 2, 'back after the stall');
    assert.deepEqual(fake.subscriptions(), ['LEVELONE_EQUITIES:SPY', 'NASDAQ_BOOK:MSFT']);
    fake.replay(sampleLine('schwab', 'schwab.ndjson', 15));
    await waitFor(() => user.events.some((e) => e.type === 'book'), 'the recorded book');
    assert.deepEqual(user.events.filter((e) => e.type === 'book').map((e) => e.symbol), ['MSFT'], 'GOOG was not subscribed here');
  });

  it('reports a refused subscription on the symbol it concerns', async () => {
    const { s, user } = await setUp();
    fake.symbolLimit = 1;
    s.subscribe('u1', [{ channel: 'quote', symbol: 'SPY' }]);
    await waitFor(() => s.status.state === 'connected' && fake.subscriptions().length === 1, 'connected');
    s.subscribe('u1', [{ channel: 'quote', symbol: 'AAPL' }]);
    await waitFor(() => user.errors.length === 1, 'refused');
    assert.deepEqual([user.errors[0]!.code, user.errors[0]!.symbol], ['SUBSCRIPTION', 'AAPL']);
    assert.match(user.errors[0]!.message, /Schwab refused ADD LEVELONE_EQUITIES AAPL \(code 19: REACHED_SYMBOL_LIMIT/);
    s.subscribe('u1', [{ channel: 'greeks', symbol: 'SPY' }]);
    assert.match(user.errors[1]!.message, /greeks is not streamed for SPY, which is not an option/);
  });

  it('shows no credential or token in anything captured above', () => {
    assert.ok(watch.capturedCount > 50);
    watch.assertClean();
  });
});
