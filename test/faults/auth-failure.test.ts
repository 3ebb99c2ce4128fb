/**
 * Fault suite: credentials rejected for 30 simulated minutes (fake time). Whatever the provider
 * (a refused Schwab streamer LOGIN, a revoked tastytrade refresh grant, a Coinbase CDP key whose
 * JWTs fail, a server answering the WebSocket upgrade with HTTP 401), a refusal is not treated
 * as a network blip (issue 17 item 2): the next try waits the backoff's cap, each further refusal
 * twice as long, up to 16 × the cap (src/transport/backoff.ts `refusedWaitMs`): with the default
 * cap of 30 s the tries come at 0, 30 s, 1.5 min, 3.5 min, 7.5 min, 15.5 min, 23.5 min — 7 in 30
 * minutes, at most 2 in the first minute, and still retrying every 8 minutes. The node shows a
 * red "auth failed" status with the provider's own words and the time of the next try. Each
 * attempt is one connection and, where the provider needs one, one token request.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DEFAULT_BACKOFF } from '../../src/transport/backoff';
import { FeedSession } from '../../src/session/feed-session';
import type { StatusEvent } from '../../src/model/events';
import type { ProviderDefinition, ProviderSettings } from '../../src/model/provider';
import { schwabProvider } from '../../src/providers/schwab';
import { tastytradeProvider } from '../../src/providers/tastytrade';
import { createCoinbaseProvider } from '../../src/providers/coinbase';
import { FakeSchwab } from '../fakes/schwab/fake';
import { FakeTastytradeRest } from '../fakes/tastytrade/rest';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { freshToken } from '../fakes/http-json';
import { echoProvider } from '../helpers/echo-provider';
import { fakeClock } from '../helpers/fake-clock';
import { TestWsServer } from '../helpers/ws-test-server';
import { seededRandom, streamNode, until, type NodeRecord } from './helpers';

const MINUTE = 60_000;
const RUN_MINUTES = 30;
/** Derived above from DEFAULT_BACKOFF: the waits after refusal 1, 2, … in a row, in ms. */
const CAP = DEFAULT_BACKOFF.maxMs;
const WAITS = [CAP, 2 * CAP, 4 * CAP, 8 * CAP, 16 * CAP, 16 * CAP]; // 30 s … 8 min
const EXPECTED_TIMES = WAITS.reduce<number[]>((times, wait) => [...times, times.at(-1)! + wait], [0]); // 0 … 23.5 min

interface Scenario {
  session: FeedSession;
  node: NodeRecord;
  /** Connection attempts the fake saw. */
  attempts: () => number;
  /** Token requests the fake saw (providers that fetch one per attempt). */
  tokens?: () => number;
  close: () => Promise<void>;
}

/** Attempt times (fake ms since the start) and the token requests counted at each attempt. */
interface Run {
  times: number[];
  tokens: number[];
}

/**
 * Lets every retry happen, one at a time: waits (real time) until the attempt has been refused
 * and the next one scheduled, then moves fake time to exactly that retry.
 */
async function rejectFor(scenario: Scenario, time: ReturnType<typeof fakeClock>, minutes: number): Promise<Run> {
  const start = time.clock.now();
  const run: Run = { times: [], tokens: [] };
  const refusals = (): StatusEvent[] => scenario.node.statuses.filter((s): s is StatusEvent => s.type === 'status' && s.symbol === undefined && s.state === 'error');
  for (;;) {
    const n = run.times.length + 1;
    await until(() => refusals().length >= n && scenario.attempts() >= n, `attempt ${n} refused`, 10_000);
    assert.equal(scenario.attempts(), n, `one connection per attempt (attempt ${n})`);
    assert.equal(refusals().length, n, `one refusal per attempt (attempt ${n})`);
    run.times.push(time.clock.now() - start);
    run.tokens.push(scenario.tokens?.() ?? 0);
    const retryInMs = refusals()[n - 1]!.retryInMs!;
    if (time.clock.now() + retryInMs - start >= minutes * MINUTE) return run;
    await time.tickAsync(retryInMs - 1);
    assert.equal(scenario.attempts(), n, 'no attempt before the delay is over');
    await time.tickAsync(1);
  }
}

function perMinute(times: readonly number[], minutes: number): number[] {
  const counts = new Array<number>(minutes).fill(0);
  for (const t of times) counts[Math.floor(t / MINUTE)]! += 1;
  return counts;
}

function assertCapped(run: Run, scenario: Scenario, statuses: StatusEvent[]): number[] {
  const counts = perMinute(run.times, RUN_MINUTES);
  assert.deepEqual(run.times, EXPECTED_TIMES, `attempts at ${run.times.map((t) => `${t / 1000} s`).join(', ')}`);
  assert.ok(counts[0]! <= 2, `at most 2 attempts in the first minute (${counts[0]})`);
  // The status says when the next try comes: the wait it announced is the wait that followed.
  const announced = statuses.map((status) => status.retryInMs);
  assert.deepEqual(announced.slice(0, WAITS.length), WAITS);
  if (scenario.tokens) {
    // One token request per attempt: a refused attempt never fetches more.
    assert.deepEqual(run.tokens, run.times.map((_, i) => i + 1));
  }
  if (process.env.FAULTS_REPORT) console.log(`${run.times.length} attempts in ${RUN_MINUTES} min; per minute: ${counts.join(' ')}`);
  return counts;
}

function refusalsOf(scenario: Scenario): StatusEvent[] {
  return scenario.node.statuses.filter((s): s is StatusEvent => s.type === 'status' && s.symbol === undefined && s.state === 'error');
}

function assertRedWithReason(node: NodeRecord, reason: string | RegExp): void {
  assert.deepEqual(node.views.at(-1), { fill: 'red', shape: 'dot', key: 'authFailed' });
  const errors = node.nodeErrors.filter((e) => e.code === 'AUTH');
  assert.ok(errors.length >= 1, 'node.error with an AUTH error');
  for (const error of errors) {
    if (typeof reason === 'string') assert.equal(error.reason, reason);
    else assert.match(error.message, reason);
  }
  assert.equal(node.events.length, 0, 'no data while refused');
}

describe(`fault suite: credentials rejected for ${RUN_MINUTES} simulated minutes`, function () {
  this.timeout(120_000);
  const realRandom = Math.random;
  let time: ReturnType<typeof fakeClock>;
  let scenario: Scenario | null = null;

  beforeEach(() => {
    time = fakeClock();
    // The backoff's jitter draws from Math.random: seeded, so each run retries at the same times.
    Math.random = seededRandom(20_261_120);
  });

  afterEach(async () => {
    Math.random = realRandom;
    scenario?.node.consumer.stop();
    await scenario?.close();
    scenario = null;
  });

  function open(provider: ProviderDefinition, settings: ProviderSettings, symbol: string, channel: 'quote' | 'trade'): Pick<Scenario, 'session' | 'node'> {
    const session = new FeedSession(provider, settings, { clock: time.clock });
    return { session, node: streamNode(session, 'n1', { symbols: [symbol], channels: [channel] }) };
  }

  it('schwab: every streamer LOGIN refused (code 3)', async () => {
    const clientId = freshToken('schwab-app-key');
    const clientSecret = freshToken('schwab-app-secret');
    const refreshToken = freshToken('schwab-refresh');
    const fake = await FakeSchwab.start({ clientId, clientSecret, refreshToken, now: time.clock.now, heartbeatMs: 0 });
    fake.denyLogin = { code: 3, msg: 'Login Denied.: token is invalid or has expired.' };
    const opened = open(schwabProvider, { provider: 'schwab', endpoint: '', restEndpoint: fake.restUrl, feed: '', options: {}, credentials: { clientId, clientSecret, refreshToken } }, 'SPY', 'quote');
    scenario = { ...opened, attempts: () => fake.connections, tokens: () => fake.tokenRequests, close: async () => { await opened.session.close(); await fake.close(); } };
    const run = await rejectFor(scenario, time, RUN_MINUTES);
    assertCapped(run, scenario, refusalsOf(scenario));
    assertRedWithReason(scenario.node, 'code 3: Login Denied.: token is invalid or has expired.');
    assert.equal(fake.subscriptions().length, 0, 'nothing subscribed');
  });

  it('tastytrade: the refresh grant refused (invalid_grant) at every attempt', async () => {
    const clientSecret = freshToken('tt-client-secret');
    const refreshToken = freshToken('tt-refresh');
    const dxlink = await FakeDxlinkServer.start({ now: time.clock.now });
    const rest = await FakeTastytradeRest.start({ clientSecret, refreshToken, dxlink, now: time.clock.now });
    rest.refuseGrant = 'Grant revoked by the user';
    const opened = open(tastytradeProvider, { provider: 'tastytrade', endpoint: '', restEndpoint: rest.url, feed: '', options: {}, credentials: { clientSecret, refreshToken } }, 'SPY', 'quote');
    // Each attempt is one token request; it never gets as far as the DXLink server.
    scenario = { ...opened, attempts: () => rest.tokenRequests, close: async () => { await opened.session.close(); await rest.close(); await dxlink.close(); } };
    const run = await rejectFor(scenario, time, RUN_MINUTES);
    assertCapped(run, scenario, refusalsOf(scenario));
    assertRedWithReason(scenario.node, 'invalid_grant: Grant revoked by the user');
    assert.equal(dxlink.connections, 0);
  });

  it('coinbase: a CDP key whose JWTs the server refuses ("authentication failure")', async () => {
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const mine = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const fake = await FakeCoinbase.start({ jwtPublicKey: other.publicKey, jwtKeyName: 'organizations/o/apiKeys/k' });
    fake.list('BTC-USD');
    const apiSecret = mine.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    const provider = createCoinbaseProvider({ messagesPerSecond: Number.POSITIVE_INFINITY });
    const opened = open(provider, { provider: 'coinbase', endpoint: fake.url, restEndpoint: '', feed: '', options: {}, credentials: { apiKey: 'organizations/o/apiKeys/k', apiSecret } }, 'BTC-USD', 'trade');
    scenario = { ...opened, attempts: () => fake.connections.length, close: async () => { await opened.session.close(); await fake.close(); } };
    const run = await rejectFor(scenario, time, RUN_MINUTES);
    assertCapped(run, scenario, refusalsOf(scenario));
    assertRedWithReason(scenario.node, 'authentication failure');
    assert.ok(!JSON.stringify(scenario.node.statuses).includes('PRIVATE KEY'), 'the secret never shows');
  });

  it('a WebSocket server answering the upgrade with HTTP 401', async () => {
    const server = await TestWsServer.start();
    server.rejectWith = 401;
    const opened = open(echoProvider(), { provider: 'echo', endpoint: server.url, restEndpoint: '', feed: '', options: {}, credentials: {} }, 'AAA', 'trade');
    scenario = { ...opened, attempts: () => server.attempts, close: async () => { await opened.session.close(); await server.close(); } };
    const run = await rejectFor(scenario, time, RUN_MINUTES);
    assertCapped(run, scenario, refusalsOf(scenario));
    assertRedWithReason(scenario.node, 'HTTP 401');
  });
});
