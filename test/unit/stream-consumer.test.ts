import assert from 'node:assert/strict';
import type { HealthEvent, MarketEvent, NoticeEvent, StatusEvent } from '../../src/model/events';
import { MarketError } from '../../src/model/errors';
import { FeedSession } from '../../src/session/feed-session';
import { parseStreamConfig, parseSubscriptionCommand } from '../../src/session/stream-config';
import { StreamConsumer, type StatusView } from '../../src/session/stream-consumer';
import { simProvider } from '../../src/providers/sim';
import { fakeClock } from '../helpers/fake-clock';

function setup(raw: Record<string, unknown>, options: Record<string, unknown> = { seed: 3 }) {
  const { clock, tick } = fakeClock(Date.UTC(2026, 10, 20, 15, 0, 0));
  const session = new FeedSession(simProvider, { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options, credentials: {} }, { clock });
  const events: MarketEvent[] = [];
  const out2: Array<StatusEvent | NoticeEvent | HealthEvent> = [];
  const errors: MarketError[] = [];
  const views: StatusView[] = [];
  const consumer = new StreamConsumer('n1', session, parseStreamConfig(raw, simProvider), {
    event: (e) => events.push(e),
    status: (e) => out2.push(e),
    error: (e) => errors.push(e),
    display: (v) => views.push(v),
  }, { clock, healthEveryMs: 10_000, displayEveryMs: 2_000 });
  session.attach(consumer);
  consumer.start();
  return { clock, tick, session, consumer, events, out2, errors, views };
}

describe('stream-in core (StreamConsumer)', () => {
  it('validates the node config with messages that say what to fix', () => {
    assert.throws(() => parseStreamConfig({ symbols: ' , ', channels: ['quote'] }, simProvider), /no symbols: enter at least one symbol, e\.g\. BTC-USD/);
    assert.throws(() => parseStreamConfig({ symbols: 'AAPL', channels: [] }, simProvider), /no channels/);
    assert.throws(() => parseStreamConfig({ symbols: 'AAPL', channels: ['quotes'] }, simProvider), /unknown channel "quotes": use quote, trade, candle, book, greeks, summary/);
    assert.throws(() => parseStreamConfig({ symbols: 'AAPL', channels: ['candle'], interval: '7m' }, simProvider), /interval "7m" is not offered/);
    assert.throws(() => parseStreamConfig({ symbols: 'AAPL', channels: ['book'], depth: 0 }, simProvider), /depth must be a whole number from 1 to 1000/);
    assert.throws(() => parseStreamConfig({ symbols: 'AAPL', channels: ['quote'], throttleMs: -5 }, simProvider), /throttle must be 0/);
    assert.throws(() => parseStreamConfig({ symbols: 'NOPE', channels: ['quote'] }, simProvider), /sim has no symbol "NOPE"/);
    const spec = parseStreamConfig({ symbols: 'btc-usd, spy261218c00600000\nSPY*', channels: ['quote', 'trade'], depth: '5', throttleMs: '250', staleAfter: '30' }, simProvider);
    assert.deepEqual(spec, { symbols: ['BTC-USD', 'SPY   261218C00600000', 'SPY*'], channels: ['quote', 'trade'], interval: '1m', depth: 5, throttleMs: 250, staleAfterMs: 30_000 });
  });

  it('reads subscription commands from msg.payload', () => {
    assert.deepEqual(parseSubscriptionCommand({ action: 'subscribe', symbols: ['aapl'] }, simProvider, ['quote']), { action: 'subscribe', symbols: ['AAPL'], channels: ['quote'] });
    assert.deepEqual(parseSubscriptionCommand({ action: 'replace', symbols: 'SPY, TSLA', channels: ['trade'] }, simProvider, ['quote']), { action: 'replace', symbols: ['SPY', 'TSLA'], channels: ['trade'] });
    assert.throws(() => parseSubscriptionCommand('AAPL', simProvider, ['quote']), /msg\.payload must be an object/);
    assert.throws(() => parseSubscriptionCommand({ action: 'add', symbols: ['AAPL'] }, simProvider, ['quote']), /action must be "subscribe", "unsubscribe" or "replace", got "add"/);
    assert.throws(() => parseSubscriptionCommand({ action: 'subscribe', symbols: [] }, simProvider, ['quote']), /symbols is empty/);
  });

  it('shows connecting, then live with the msg rate', () => {
    const { tick, views, consumer } = setup({ symbols: 'BTC-USD, AAPL', channels: ['quote', 'trade'] });
    assert.deepEqual(views[0], { fill: 'yellow', shape: 'ring', key: 'connecting' });
    tick(10);
    assert.deepEqual(views.at(-1), { fill: 'green', shape: 'dot', key: 'live', rate: 0 });
    tick(4000);
    const live = views.at(-1)!;
    assert.equal(live.key, 'live');
    assert.ok((live.rate ?? 0) > 10, `rate ${live.rate}`);
    consumer.stop();
  });

  it('changes subscriptions on subscribe, unsubscribe and replace', () => {
    const { tick, events, consumer, session } = setup({ symbols: 'BTC-USD', channels: ['trade'] });
    tick(3000);
    consumer.apply({ action: 'subscribe', symbols: ['ETH-USD'], channels: ['trade'] });
    let mark = events.length;
    tick(3000);
    assert.deepEqual([...new Set(events.slice(mark).map((e) => e.symbol))].sort(), ['BTC-USD', 'ETH-USD']);
    consumer.apply({ action: 'unsubscribe', symbols: ['BTC-USD'], channels: ['trade'] });
    mark = events.length;
    tick(3000);
    assert.deepEqual([...new Set(events.slice(mark).map((e) => e.symbol))], ['ETH-USD']);
    consumer.apply({ action: 'replace', symbols: ['AAPL'], channels: ['quote'] });
    mark = events.length;
    tick(3000);
    assert.deepEqual([...new Set(events.slice(mark).map((e) => `${e.type}:${e.symbol}`))], ['quote:AAPL']);
    assert.deepEqual(session.upstreamSubscriptions().map((s) => s.key), ['quote:AAPL']);
    consumer.stop();
    assert.deepEqual(session.upstreamSubscriptions(), [], 'stop releases every subscription');
  });

  it('sends health every period with the rate, errors and silent symbols', () => {
    const { tick, out2, consumer } = setup({ symbols: 'BTC-USD, SPY   261127C00800000', channels: ['trade'], staleAfter: 5 });
    tick(10_000);
    const health = out2.filter((e): e is HealthEvent => e.type === 'health');
    assert.equal(health.length, 1);
    assert.ok(health[0]!.msgsPerSec > 1, `${health[0]!.msgsPerSec} msgs/s`);
    // The far out-of-the-money contract never trades on its own: it is reported as stale.
    assert.deepEqual(health[0]!.stale, ['SPY   261127C00800000']);
    assert.equal(health[0]!.dropped, 0);
    tick(10_000);
    assert.equal(out2.filter((e) => e.type === 'health').length, 2);
    consumer.stop();
  });

  it('counts every error but repeats the same one on node.error at most once a minute', () => {
    const { tick, errors, consumer, out2 } = setup({ symbols: 'BTC-USD', channels: ['trade'] });
    const error = new MarketError('SUBSCRIPTION', 'unknown symbol X', { symbol: 'X' });
    for (let i = 0; i < 50; i++) consumer.onError(error);
    assert.equal(errors.length, 1);
    tick(61_000);
    consumer.onError(error);
    assert.equal(errors.length, 2);
    const health = out2.filter((e): e is HealthEvent => e.type === 'health').at(-1)!;
    assert.equal(health.errors, 50);
    consumer.stop();
  });

  it('shows unreadable frames of one provider on node.error once a minute whatever their text, and counts each', () => {
    const { tick, errors, consumer, out2 } = setup({ symbols: 'BTC-USD', channels: ['trade'] });
    // A feed sending garbage varies the details: per-text limiting alone would pass every one of them on.
    for (let i = 0; i < 500; i++) consumer.onError(new MarketError('PROTOCOL', `Binance sent a frame that is not JSON (byte ${i}); it was skipped`, { provider: 'binance' }));
    consumer.onError(new MarketError('PROTOCOL', 'Kraken sent a trade that could not be read; it was skipped', { provider: 'kraken' }));
    consumer.onError(new MarketError('SUBSCRIPTION', 'unknown symbol X', { symbol: 'X' }));
    assert.deepEqual(errors.map((e) => e.message), ['Binance sent a frame that is not JSON (byte 0); it was skipped', 'Kraken sent a trade that could not be read; it was skipped', 'unknown symbol X']);
    tick(61_000);
    consumer.onError(new MarketError('PROTOCOL', 'Binance sent an event of a type it does not know; it was skipped', { provider: 'binance' }));
    assert.equal(errors.length, 4, 'the next minute shows the next one');
    const health = out2.filter((e): e is HealthEvent => e.type === 'health').at(-1)!;
    assert.equal(health.errors, 502);
    consumer.stop();
  });

  it('throttles to one msg per symbol and channel per period and reports what it dropped', () => {
    const { tick, events, out2, consumer } = setup({ symbols: 'AAPL', channels: ['quote', 'trade'], throttleMs: 1000 });
    tick(20_000);
    const bySecond = new Map<string, number>();
    for (const e of events) {
      const key = `${e.type}:${Math.floor(e.receivedAt / 1000)}`;
      bySecond.set(key, (bySecond.get(key) ?? 0) + 1);
    }
    assert.ok([...bySecond.values()].every((n) => n <= 2), 'at most one per key per period (boundaries may hold two)');
    const quotes = events.filter((e) => e.type === 'quote').length;
    assert.ok(quotes >= 15 && quotes <= 21, `${quotes} quotes in 20 s`);
    const health = out2.filter((e): e is HealthEvent => e.type === 'health').at(-1)!;
    assert.ok(health.dropped > 50, `${health.dropped} quotes replaced`);
    assert.ok(events.some((e) => e.type === 'trade' && (e.count ?? 1) > 1), 'trades folded, not dropped');
    consumer.stop();
  });
});
