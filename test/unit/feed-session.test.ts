import assert from 'node:assert/strict';
import type { MarketEvent, NoticeEvent, StatusEvent } from '../../src/model/events';
import { MarketError } from '../../src/model/errors';
import { FeedSession, type SessionUser } from '../../src/session/feed-session';
import type { AdapterContext, ProviderAdapter, ProviderDefinition, UpstreamSubscription } from '../../src/model/provider';
import { fakeClock } from '../helpers/fake-clock';

/** A provider whose adapter records what the session asks of it. */
function recordingProvider() {
  const adapters: Array<{ context: AdapterContext; subscribes: string[][]; unsubscribes: string[][]; started: boolean; stopped: boolean; subs: Map<string, UpstreamSubscription> }> = [];
  const definition: ProviderDefinition = {
    id: 'recorder',
    label: 'Recorder',
    status: 'available',
    channels: ['quote', 'trade', 'book', 'candle', 'greeks', 'summary'],
    intervals: ['1m', '5m'],
    fields: { endpoint: false, restEndpoint: false, options: false },
    credentials: [],
    defaultEndpoint: '',
    defaultRestEndpoint: '',
    exampleSymbols: 'A',
    chainSubscriptions: true,
    canonicalSymbol: (text) => text.trim().toUpperCase(),
    validateSettings: () => null,
    create(context): ProviderAdapter {
      const record = { context, subscribes: [] as string[][], unsubscribes: [] as string[][], started: false, stopped: false, subs: new Map<string, UpstreamSubscription>() };
      adapters.push(record);
      return {
        start: () => {
          record.started = true;
          context.setState({ state: 'connected', detail: 'connected' });
        },
        subscribe: (subs) => {
          record.subscribes.push(subs.map((s) => s.key));
          for (const s of subs) record.subs.set(s.key, s);
        },
        unsubscribe: (subs) => {
          record.unsubscribes.push(subs.map((s) => s.key));
          for (const s of subs) record.subs.delete(s.key);
        },
        stop: async () => {
          record.stopped = true;
        },
      };
    },
  };
  return { definition, adapters };
}

function user(id: string) {
  const events: MarketEvent[] = [];
  const statuses: StatusEvent[] = [];
  const notices: NoticeEvent[] = [];
  const errors: MarketError[] = [];
  const u: SessionUser = { id, onEvent: (e) => events.push(e), onStatus: (s) => (s.type === 'status' ? statuses.push(s) : notices.push(s)), onError: (e) => errors.push(e) };
  return { u, events, statuses, notices, errors };
}

const settings = { provider: 'recorder', endpoint: '', restEndpoint: '', feed: '', options: {}, credentials: {} };
const trade = (symbol: string, extra: Partial<MarketEvent> = {}): MarketEvent => ({ type: 'trade', provider: 'recorder', symbol, ts: 1, receivedAt: 1, price: 1, size: 1, ...extra }) as MarketEvent;

describe('FeedSession', () => {
  it('opens one adapter for many users and counts subscriptions by channel and symbol', () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    const b = user('b');
    session.attach(a.u);
    session.attach(b.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'X' }, { channel: 'quote', symbol: 'Y' }]);
    session.subscribe('b', [{ channel: 'trade', symbol: 'X' }, { channel: 'trade', symbol: 'Z' }]);
    assert.equal(adapters.length, 1);
    assert.deepEqual(adapters[0]!.subscribes, [['trade:X', 'quote:Y'], ['trade:Z']]);
    assert.equal(session.stats().activeUpstream, 3);

    session.unsubscribe('a', [{ channel: 'trade', symbol: 'X' }]);
    assert.deepEqual(adapters[0]!.unsubscribes, [], 'b still holds trade:X');
    session.unsubscribe('b', [{ channel: 'trade', symbol: 'X' }]);
    assert.deepEqual(adapters[0]!.unsubscribes, [['trade:X']]);
  });

  it('routes each event only to the users that asked for its channel and symbol', () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    const b = user('b');
    session.attach(a.u);
    session.attach(b.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'X' }]);
    session.subscribe('b', [{ channel: 'trade', symbol: 'Y' }, { channel: 'quote', symbol: 'X' }]);
    const emit = adapters[0]!.context.emit;
    emit(trade('X'));
    emit(trade('Y'));
    emit(trade('Q'));
    emit({ type: 'quote', provider: 'recorder', symbol: 'X', ts: 1, receivedAt: 1, bid: 1, bidSize: 1, ask: 2, askSize: 1 });
    assert.deepEqual(a.events.map((e) => `${e.type}:${e.symbol}`), ['trade:X']);
    assert.deepEqual(b.events.map((e) => `${e.type}:${e.symbol}`), ['trade:Y', 'quote:X']);
  });

  it('keys candles by interval and books by symbol, slicing books to each user\'s depth', () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    const b = user('b');
    session.attach(a.u);
    session.attach(b.u);
    session.subscribe('a', [{ channel: 'candle', symbol: 'X', interval: '1m' }, { channel: 'book', symbol: 'X', depth: 2 }]);
    session.subscribe('b', [{ channel: 'candle', symbol: 'X', interval: '5m' }, { channel: 'book', symbol: 'X', depth: 5 }]);
    const record = adapters[0]!;
    assert.deepEqual(record.subscribes, [['candle:X@1m', 'book:X'], ['candle:X@5m']]);
    assert.equal(record.subs.get('book:X')!.depth, 5, 'the adapter serves the deepest request');
    const levels = (n: number, start: number, step: number): [number, number][] => Array.from({ length: n }, (_, i) => [start + i * step, 1]);
    record.context.emit({ type: 'book', provider: 'recorder', symbol: 'X', ts: 1, receivedAt: 1, bids: levels(5, 99, -1), asks: levels(5, 100, 1), depth: 5 });
    record.context.emit({ type: 'candle', provider: 'recorder', symbol: 'X', ts: 1, receivedAt: 1, interval: '5m', start: 0, end: 300_000, open: 1, high: 1, low: 1, close: 1, volume: 1, closed: false });
    const aBook = a.events.find((e) => e.type === 'book');
    const bBook = b.events.find((e) => e.type === 'book');
    assert.ok(aBook && aBook.type === 'book' && bBook && bBook.type === 'book');
    assert.deepEqual(aBook.bids, [[99, 1], [98, 1]]);
    assert.equal(aBook.depth, 2);
    assert.equal(bBook.bids.length, 5);
    assert.deepEqual(a.events.filter((e) => e.type === 'candle'), []);
    assert.equal(b.events.filter((e) => e.type === 'candle').length, 1);
    session.unsubscribe('b', [{ channel: 'book', symbol: 'X' }]);
    assert.equal(record.subs.get('book:X')!.depth, 2, 'depth follows the remaining users');
  });

  it('delivers chain subscriptions (ROOT*) every option of that underlying', () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    session.attach(a.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'SPY*' }]);
    const option = { underlying: 'SPY', expiry: '2026-12-18', right: 'call' as const, strike: 600, multiplier: 100 };
    adapters[0]!.context.emit(trade('SPY   261218C00600000', { option } as Partial<MarketEvent>));
    adapters[0]!.context.emit(trade('QQQ   261218C00600000', { option: { ...option, underlying: 'QQQ' } } as Partial<MarketEvent>));
    adapters[0]!.context.emit(trade('SPY'));
    assert.deepEqual(a.events.map((e) => e.symbol), ['SPY   261218C00600000']);
  });

  it('sends errors with a symbol only to the users of that symbol, connection states and notices to all', () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    const b = user('b');
    session.attach(a.u);
    session.attach(b.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'BAD' }]);
    session.subscribe('b', [{ channel: 'trade', symbol: 'GOOD' }]);
    const context = adapters[0]!.context;
    context.error(new MarketError('SUBSCRIPTION', 'unknown symbol BAD', { symbol: 'BAD' }));
    assert.equal(a.errors.length, 1);
    assert.equal(b.errors.length, 0);
    context.setState({ state: 'reconnecting', detail: 'lost', attempt: 1, retryInMs: 500 });
    assert.equal(a.statuses.at(-1)!.state, 'reconnecting');
    assert.equal(b.statuses.at(-1)!.attempt, 1);
    context.notice({ level: 'warning', code: 'REFRESH_TOKEN_EXPIRING', detail: 'refresh token expires in 23 h', at: 86_400_000 });
    assert.deepEqual([a.notices.length, b.notices.length], [1, 1], 'notices reach every user');
    assert.equal(b.notices[0]!.code, 'REFRESH_TOKEN_EXPIRING');
    assert.equal(b.notices[0]!.provider, 'recorder');
    context.symbolStatus({ symbol: 'GOOD', channel: 'trade', state: 'resyncing', detail: 'gap' });
    assert.equal(b.statuses.at(-1)!.state, 'resyncing');
    assert.equal(b.statuses.at(-1)!.symbol, 'GOOD');
    assert.equal(a.statuses.at(-1)!.state, 'reconnecting');
  });

  it('closes the adapter when the last user is removed, and keeps it across a redeploy', async () => {
    const { clock, tick } = fakeClock();
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings, { clock, idleCloseMs: 5000 });
    const a = user('a');
    session.attach(a.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'X' }]);
    await session.detach('a', false);
    assert.equal(adapters[0]!.stopped, false, 'a redeploy keeps the connection');
    const a2 = user('a');
    session.attach(a2.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'X' }]);
    tick(10_000);
    assert.equal(adapters.length, 1, 'no second connection');
    assert.equal(adapters[0]!.stopped, false);
    await session.detach('a', false);
    tick(5001);
    await Promise.resolve();
    assert.equal(adapters[0]!.stopped, true, 'nobody came back: closed after idleCloseMs');
    const b = user('b');
    session.attach(b.u);
    assert.equal(adapters.length, 2, 'the next user opens a new connection');
    await session.detach('b', true);
    assert.equal(adapters[1]!.stopped, true, 'removal of the last user closes at once');
  });

  it('ignores a stopped adapter\'s late events', async () => {
    const { definition, adapters } = recordingProvider();
    const session = new FeedSession(definition, settings);
    const a = user('a');
    session.attach(a.u);
    session.subscribe('a', [{ channel: 'trade', symbol: 'X' }]);
    const old = adapters[0]!.context;
    await session.detach('a', true);
    const b = user('b');
    session.attach(b.u);
    session.subscribe('b', [{ channel: 'trade', symbol: 'X' }]);
    old.emit(trade('X'));
    assert.equal(b.events.length, 0);
    adapters[1]!.context.emit(trade('X'));
    assert.equal(b.events.length, 1);
  });
});
