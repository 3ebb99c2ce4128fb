/** The dxfeed provider (any DXLink endpoint, optional token) against the fake DXLink server. */
import assert from 'node:assert/strict';
import { FeedSession } from '../../../src/session/feed-session';
import { createDxfeedProvider, dxfeedProvider } from '../../../src/providers/dxfeed';
import { DXFEED_DEMO_ENDPOINT } from '../../../src/providers/dxfeed/settings';
import type { ProviderDefinition, ProviderSettings } from '../../../src/model/provider';
import { FakeDxlinkServer } from '../../fakes/dxlink/server';
import { freshToken } from '../../fakes/http-json';
import { SecretWatch } from '../../fakes/secret-watch';
import { waitFor } from '../../helpers/wait';
import { recordingUser } from './provider-harness';

describe('dxfeed provider (fake DXLink)', function () {
  this.timeout(15_000);
  const watch = new SecretWatch();
  let dxlink: FakeDxlinkServer | null = null;
  let session: FeedSession | null = null;

  afterEach(async () => {
    await session?.close();
    session = null;
    await dxlink?.close();
    dxlink = null;
  });

  function open(server: FakeDxlinkServer, extra: Partial<ProviderSettings> = {}, provider: ProviderDefinition = dxfeedProvider) {
    const settings: ProviderSettings = { provider: 'dxfeed', endpoint: server.url, restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra };
    session = new FeedSession(provider, settings, { log: watch.logger() });
    const user = recordingUser('u1', watch);
    session.attach(user.user);
    return { s: session, user };
  }

  it('connects without a token where none is needed (the demo), with TimeAndSale prints and candles', async () => {
    dxlink = await FakeDxlinkServer.start({ requireAuth: false });
    const { s, user } = open(dxlink, { options: { tradeEvent: 'TimeAndSale' } });
    s.subscribe('u1', [{ channel: 'trade', symbol: 'AAPL' }, { channel: 'candle', symbol: 'AAPL', interval: '5m' }, { channel: 'greeks', symbol: 'AAPL' }]);
    await waitFor(() => s.status.state === 'connected' && dxlink!.subscriptions().length === 3, 'connected');
    assert.deepEqual(dxlink.subscriptions(), ['Candle:AAPL{=5m}', 'TimeAndSale:AAPL', 'Underlying:AAPL']);
    assert.ok(!dxlink.frames[0]!.some((f) => f.type === 'AUTH'), 'no AUTH without a token');
    const candleAdd = dxlink.frames[0]!.filter((f) => f.type === 'FEED_SUBSCRIPTION').flatMap((f) => (f.add ?? []) as Array<{ type: string; fromTime?: number }>).find((a) => a.type === 'Candle')!;
    assert.ok(typeof candleAdd.fromTime === 'number' && candleAdd.fromTime < Date.now(), 'candles ask for history from a time');
    const start = Date.now() - 20 * 60_000;
    dxlink.publish([
      { eventType: 'TimeAndSale', eventSymbol: 'AAPL', time: start, exchangeCode: 'Q', price: 190.5, size: 100, aggressorSide: 'SELL', type: 'NEW' },
      { eventType: 'Candle', eventSymbol: 'AAPL{=5m}', time: start, eventFlags: 0, open: 190, high: 191, low: 189.5, close: 190.5, volume: 12000 },
      { eventType: 'Underlying', eventSymbol: 'AAPL', time: start, volatility: 0.24, callVolume: 1000, putVolume: 800, putCallRatio: 0.8 },
    ]);
    await waitFor(() => user.events.length === 3, 'three events');
    const [trade, candle, underlying] = ['trade', 'candle', 'underlying'].map((type) => user.events.find((e) => e.type === type) as unknown as Record<string, unknown>);
    assert.deepEqual([trade!.price, trade!.size, trade!.side, trade!.exchange, trade!.ts], [190.5, 100, 'sell', 'Q', start]);
    assert.deepEqual([candle!.symbol, candle!.interval, candle!.start, candle!.end, candle!.closed, candle!.volume], ['AAPL', '5m', start, start + 300_000, true, 12000]);
    assert.deepEqual([underlying!.volatility, underlying!.frontVolatility, underlying!.putCallRatio], [0.24, null, 0.8]);
  });

  it('sends its token when one is set, and shows a refused one as an auth error with the server\'s words', async () => {
    dxlink = await FakeDxlinkServer.start({ requireAuth: true });
    const good = freshToken('dxfeed-token');
    const bad = freshToken('dxfeed-bad-token');
    watch.secret(good, bad);
    dxlink.tokens.set(good, Date.now() + 3_600_000);
    const first = open(dxlink, { credentials: { token: good } });
    first.s.subscribe('u1', [{ channel: 'quote', symbol: 'IBM' }]);
    await waitFor(() => first.s.status.state === 'connected' && dxlink!.subscriptions().length === 1, 'connected with a token');
    await first.s.close();

    const second = open(dxlink, { credentials: { token: bad } });
    second.s.subscribe('u1', [{ channel: 'quote', symbol: 'IBM' }]);
    await waitFor(() => second.user.statuses.some((st) => st.state === 'error'), 'auth error');
    const error = second.user.errors.find((e) => e.code === 'AUTH')!;
    assert.equal(error.reason, 'UNAUTHORIZED: Token is invalid');
    assert.match(second.s.status.detail, /dxfeed refused the streaming token/);
  });

  it('counts a socket cut right after AUTH as a network drop, not a refused token; cut that way twice in a row, as a refusal', async () => {
    dxlink = await FakeDxlinkServer.start({ requireAuth: true });
    const token = freshToken('dxfeed-token');
    watch.secret(token);
    dxlink.tokens.set(token, Date.now() + 3_600_000);
    const server = dxlink;
    // Short cap: after the refusal the next try waits the cap (real time), 30 s by default.
    const { s, user } = open(server, { credentials: { token } }, createDxfeedProvider({ backoff: { initialMs: 50, maxMs: 200, jitter: 0 } }));
    server.faults.dropOn((frame) => frame.text.includes('"AUTH"'));
    s.subscribe('u1', [{ channel: 'quote', symbol: 'IBM' }]);
    await waitFor(() => s.status.state === 'connected' && server.subscriptions().length === 1, 'connected after one cut', 10_000);
    assert.equal(server.faults.drops, 1);
    assert.deepEqual(user.statuses.map((st) => st.state).filter((state) => state !== 'connecting'), ['reconnecting', 'connected']);
    assert.deepEqual(user.errors, [], 'no "refused the streaming token"');

    const cutAuth = (): void => server.faults.dropOn((frame) => frame.text.includes('"AUTH"'));
    cutAuth();
    server.dropAll();
    await waitFor(() => server.faults.drops === 2, 'the first cut');
    cutAuth();
    await waitFor(() => user.statuses.some((st) => st.state === 'error'), 'an auth error after the second cut in a row', 10_000);
    assert.equal(server.faults.drops, 3);
    assert.match(s.status.detail, /dxfeed refused the streaming token \(the server closed the connection before authorizing\)/);
    await waitFor(() => s.status.state === 'connected' && server.subscriptions().length === 1, 'connected again', 10_000);
  });

  it('reports a silent server as stale (reconnected after the keepalive timeout it announced), a dropped socket as reconnecting only', async () => {
    dxlink = await FakeDxlinkServer.start({ requireAuth: false, keepaliveTimeoutS: 1, keepaliveIntervalMs: 200 });
    const server = dxlink;
    const { s, user } = open(server);
    s.subscribe('u1', [{ channel: 'quote', symbol: 'IBM' }]);
    await waitFor(() => s.status.state === 'connected' && server.subscriptions().length === 1, 'connected');
    server.dropAll();
    await waitFor(() => server.connections === 2 && s.status.state === 'connected' && server.subscriptions().length === 1, 'back after the drop', 10_000);
    server.stallAll();
    await waitFor(() => server.connections === 3 && s.status.state === 'connected' && server.subscriptions().length === 1, 'back after the stall', 10_000);
    const states = user.statuses.map((st) => st.state).filter((state) => state !== 'connecting');
    assert.deepEqual(states, ['connected', 'reconnecting', 'connected', 'stale', 'reconnecting', 'connected']);
    assert.match(user.statuses.find((st) => st.state === 'stale')!.detail, /no data within the keepalive timeout/);
  });

  it('opens its socket with ws, not a global: the process-wide WebSocket stays as it was', async () => {
    const before = (globalThis as { WebSocket?: unknown }).WebSocket;
    dxlink = await FakeDxlinkServer.start({ requireAuth: false });
    const { s } = open(dxlink);
    s.subscribe('u1', [{ channel: 'quote', symbol: 'IBM' }]);
    await waitFor(() => s.status.state === 'connected', 'connected');
    assert.equal((globalThis as { WebSocket?: unknown }).WebSocket, before);
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) assert.equal(typeof before, 'undefined', 'Node 20 has no global WebSocket, and we add none');
  });

  it('validates its settings and defaults to the public demo endpoint', () => {
    const settings = (extra: Partial<ProviderSettings>): ProviderSettings => ({ provider: 'dxfeed', endpoint: '', restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra });
    assert.equal(dxfeedProvider.defaultEndpoint, DXFEED_DEMO_ENDPOINT);
    assert.equal(dxfeedProvider.validateSettings(settings({})), null);
    assert.match(dxfeedProvider.validateSettings(settings({ options: { tradeEvent: 'Prints' } }))!, /options.tradeEvent must be "Trade"/);
    assert.match(dxfeedProvider.validateSettings(settings({ endpoint: 'https://example.invalid' }))!, /must start with wss:\/\//);
    assert.ok(!dxfeedProvider.channels.includes('book'));
  });

  it('shows no credential or token in anything captured above', () => {
    assert.ok(watch.capturedCount > 10);
    watch.assertClean();
  });
});
