/**
 * Fault suite: a stale feed. Each fake stops sending (data, heartbeats, pings) but keeps its socket
 * open. The provider must notice within its window (no frame for `staleAfterMs`; DXLink: the
 * keepaliveTimeout the server announced), reconnect, resubscribe everything and deliver again; the
 * node's status dot goes yellow (stale) and then green, in that order.
 *
 * Windows: Binance, Coinbase and Kraken take staleAfterMs as tuning (1 s here, the fakes' pings and
 * heartbeats every 200–300 ms keep a healthy socket well inside it); DXLink's is the server's
 * keepaliveTimeout (1 s here); Schwab's is fixed at 60 s, checked on a fake clock to the millisecond.
 * Real-time windows are checked from below exactly (never before the window) and from above with
 * a generous margin (a loaded machine).
 */
import assert from 'node:assert/strict';
import type { StatusEvent } from '../../src/model/events';
import { assertRestored, freshFor, openVenue, recover, type Venue, type VenueId } from './venues';

const WINDOW_MS = 1_000;
const SCHWAB_WINDOW_MS = 60_000;
/** Upper margin on real time: the watchdog's check period plus a loaded machine. */
const LATE_MS = 3_000;

function statesSince(venue: Venue, mark: number): string[] {
  return venue.node.statuses.slice(mark).filter((s): s is StatusEvent => s.type === 'status' && s.symbol === undefined).map((s) => s.state);
}

/** Every symbol × channel delivered once more, so a frame has just arrived. */
async function freshData(venue: Venue): Promise<void> {
  const since = venue.node.events.length;
  await recover(venue, () => freshFor(venue, since), 'fresh data');
}

async function runStale(id: VenueId): Promise<void> {
  const venue = await openVenue(id, { staleAfterMs: WINDOW_MS });
  try {
    await assertRestored(venue, 1, 'first connection');
    await freshData(venue);
    const statusMark = venue.node.statuses.length;
    const viewMark = venue.node.views.length;
    const connections = venue.faults.acceptedCount;
    venue.stall();
    const stalledAt = Date.now();
    if (venue.advance) {
      await venue.advance(SCHWAB_WINDOW_MS);
      assert.deepEqual(statesSince(venue, statusMark), [], `${id}: nothing reported after exactly ${SCHWAB_WINDOW_MS} ms of silence`);
      await venue.advance(1_000);
      assert.equal(statesSince(venue, statusMark)[0], 'stale', `${id}: stale once the window passed`);
    } else {
      await recover(venue, () => statesSince(venue, statusMark).includes('stale'), 'stale detected', WINDOW_MS + LATE_MS + 2_000);
      const detectedMs = Date.now() - stalledAt;
      assert.ok(detectedMs >= WINDOW_MS - 50, `${id}: stale after ${detectedMs} ms, not before the ${WINDOW_MS} ms window`);
      assert.ok(detectedMs <= WINDOW_MS + LATE_MS, `${id}: stale after ${detectedMs} ms, within the ${WINDOW_MS} ms window (+ margin)`);
    }
    assert.equal(venue.faults.openCount, 1, `${id}: the stalled socket was still open when the stall was detected`);
    venue.resume();
    await assertRestored(venue, connections + 1, 'after the stall');
    const states = statesSince(venue, statusMark);
    assert.equal(states[0], 'stale', `${id}: ${states.join(' → ')}`);
    assert.equal(states.at(-1), 'connected', `${id}: ${states.join(' → ')}`);
    const views = venue.node.views.slice(viewMark).map((v) => `${v.fill}:${v.key}`);
    assert.equal(views[0], 'yellow:stale', `${id}: the dot went yellow first (${views.join(' → ')})`);
    assert.equal(views.at(-1), 'green:live', `${id}: and then green (${views.join(' → ')})`);
    assert.ok(!views.slice(1, -1).includes('green:live'), `${id}: no green in between (${views.join(' → ')})`);
    assert.equal(venue.node.nodeErrors.length, 0, venue.node.nodeErrors.map((e) => e.message).join('\n'));
  } finally {
    await venue.close();
  }
}

describe('fault suite: stale feed (the fake goes silent, the socket stays open)', function () {
  this.timeout(60_000);
  it(`binance: detected within staleAfterMs (${WINDOW_MS} ms), reconnected, resubscribed, yellow then green`, () => runStale('binance'));
  it(`coinbase: detected within staleAfterMs (${WINDOW_MS} ms), reconnected, resubscribed, yellow then green`, () => runStale('coinbase'));
  it(`kraken: detected within staleAfterMs (${WINDOW_MS} ms), reconnected, resubscribed, yellow then green`, () => runStale('kraken'));
  it(`schwab: detected after its fixed ${SCHWAB_WINDOW_MS / 1000} s window (fake clock), reconnected, resubscribed, yellow then green`, () => runStale('schwab'));
  it(`dxfeed (DXLink): detected within the server's keepaliveTimeout (${WINDOW_MS / 1000} s), reconnected, resubscribed, yellow then green`, () => runStale('dxfeed'));
});
