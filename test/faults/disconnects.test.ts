/**
 * Fault suite: 100 forced disconnects at seeded random points, spread over the five providers with
 * fakes, each session holding three symbols × three channels (so a resubscribe takes several
 * frames). Drop points:
 *
 *  - `streaming`: at a random moment of a live stream (after a random number of published events);
 *  - `connect`:   the next socket is cut as soon as it is accepted, before the client sends anything;
 *  - `handshake`: on the auth / login / SETUP frame (the first frame where a venue has none);
 *  - `resubscribe`: on the k-th subscribe frame of the reconnect.
 *
 * The last three need a reconnect to happen in: each is armed, then the stream is cut at a random
 * moment (itself one of the 100 drops), and the armed drop hits the reconnect.
 *
 * After every drop has been recovered from: the fake's open connection holds exactly the
 * subscriptions the node asked for, each requested once on that connection (no duplicates), and
 * every symbol × channel delivers a fresh event.
 */
import assert from 'node:assert/strict';
import { seededRandom, pick } from './helpers';
import { assertRestored, openVenue, type Venue, type VenueId } from './venues';

type DropPoint = 'streaming' | 'connect' | 'handshake' | 'resubscribe';

/** Drops per provider: 100 in all, at least 20 on each crypto venue. */
const DROPS: Record<VenueId, number> = { binance: 24, coinbase: 24, kraken: 24, schwab: 16, dxfeed: 12 };
const POINTS: readonly DropPoint[] = ['streaming', 'connect', 'handshake', 'resubscribe'];
const injected = new Map<VenueId, { drops: number; byPoint: Record<DropPoint, number>; ms: number }>();

/** A random moment of the stream: some events out, some of them maybe still in flight. */
async function cutWhileStreaming(venue: Venue, random: () => number): Promise<void> {
  const events = Math.floor(random() * 6);
  for (let i = 0; i < events; i++) {
    venue.publish();
    if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(venue.faults.dropNow(), 1, `${venue.id}: one open socket to cut`);
}

function arm(venue: Venue, point: Exclude<DropPoint, 'streaming'>, random: () => number): void {
  const after = venue.faults.acceptedCount;
  if (point === 'connect') {
    venue.faults.dropNextConnection();
    return;
  }
  if (point === 'handshake') {
    venue.faults.dropOn((frame) => frame.connection >= after && venue.isHandshake(frame.text, frame.index));
    return;
  }
  const k = 1 + Math.floor(random() * venue.subscribeFrames);
  const seen = new Map<number, number>();
  venue.faults.dropOn((frame) => {
    if (frame.connection < after || !venue.isSubscribe(frame.text)) return false;
    const n = (seen.get(frame.connection) ?? 0) + 1;
    seen.set(frame.connection, n);
    return n === k;
  });
}

/** A seeded plan of drop points whose drops add up to `total` (armed points cost two: the cut that forces the reconnect, and theirs). */
function plan(total: number, random: () => number): DropPoint[] {
  const points: DropPoint[] = [];
  let left = total;
  while (left > 0) {
    const point = left === 1 ? 'streaming' : pick(random, POINTS);
    points.push(point);
    left -= point === 'streaming' ? 1 : 2;
  }
  return points;
}

async function runDisconnects(id: VenueId, seed: number): Promise<void> {
  const started = Date.now();
  const random = seededRandom(seed);
  const venue = await openVenue(id);
  try {
    await assertRestored(venue, 1, 'first connection');
    const byPoint: Record<DropPoint, number> = { streaming: 0, connect: 0, handshake: 0, resubscribe: 0 };
    const points = plan(DROPS[id], random);
    for (const [i, point] of points.entries()) {
      const dropsBefore = venue.faults.drops;
      // The cut connection's successor, and for an armed point the one after it.
      const connections = venue.faults.acceptedCount + (point === 'streaming' ? 1 : 2);
      if (point !== 'streaming') arm(venue, point, random);
      await cutWhileStreaming(venue, random);
      await assertRestored(venue, connections, `drop ${i + 1} (${point})`);
      assert.equal(venue.faults.drops - dropsBefore, point === 'streaming' ? 1 : 2, `drop ${i + 1} (${point}) was injected`);
      byPoint.streaming += 1;
      if (point !== 'streaming') byPoint[point] += 1;
    }
    assert.equal(venue.faults.drops, DROPS[id], `${id}: drops injected`);
    assert.equal(venue.node.nodeErrors.length, 0, venue.node.nodeErrors.map((e) => e.message).join('\n'));
    injected.set(id, { drops: venue.faults.drops, byPoint, ms: Date.now() - started });
  } finally {
    await venue.close();
  }
}

describe('fault suite: 100 forced disconnects', function () {
  this.timeout(120_000);

  it(`binance: ${DROPS.binance} drops (3 symbols × trade, quote, book; 3 SUBSCRIBE frames per resubscribe)`, () => runDisconnects('binance', 61));
  it(`coinbase: ${DROPS.coinbase} drops (3 products × market_trades, ticker, level2)`, () => runDisconnects('coinbase', 62));
  it(`kraken: ${DROPS.kraken} drops (3 pairs × trade, ticker, book)`, () => runDisconnects('kraken', 63));
  it(`schwab: ${DROPS.schwab} drops (3 equities × LEVELONE_EQUITIES, CHART_EQUITY), on a fake clock`, () => runDisconnects('schwab', 64));
  it(`dxfeed (DXLink): ${DROPS.dxfeed} drops (3 symbols × Quote, Trade, Summary), with AUTH`, () => runDisconnects('dxfeed', 65));

  it('injected 100 drops in all, at every kind of point', function () {
    if (injected.size < 5) this.skip();
    const total = [...injected.values()].reduce((sum, v) => sum + v.drops, 0);
    assert.equal(total, 100);
    for (const point of POINTS) assert.ok([...injected.values()].some((v) => v.byPoint[point] > 0), `some drop at ${point}`);
    for (const [id, v] of injected) console.log(`      ${id}: ${v.drops} drops ${JSON.stringify(v.byPoint)} in ${v.ms} ms`);
  });
});
