/**
 * Fault suite: 100 redeploys of a flow with every provider that has a fake (sim, replay, binance,
 * coinbase, kraken, schwab, dxfeed, tastytrade; see redeploy-venues.ts), one market-stream-in on
 * each: full deploys (every node restarts, every connection closes and reopens), node-only deploys
 * of the stream-in nodes (the shared connection stays up) and node-only deploys of the provider
 * config nodes (their connection is replaced). After each one, msgs flow again on every stream.
 * After the last stop, the process is back to its baseline: active handles (sockets, servers,
 * timers) by kind, sockets open at each fake, and listeners on the shared emitters (RED.events,
 * process).
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { Node, NodeMessage } from 'node-red';
import { allNodes, helper } from '../helpers/node-red';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { openRedeployVenues, type RedeployVenue } from './redeploy-venues';

const REDEPLOYS = 100;
type Flow = Array<Record<string, unknown>>;
type Kind = 'full' | 'streams' | 'providers';

/** Listener counts per event name on an emitter. */
function listeners(emitter: EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) counts[String(name)] = emitter.listenerCount(name);
  return counts;
}

describe(`fault suite: ${REDEPLOYS} redeploys of a flow with every provider`, function () {
  this.timeout(300_000);
  let venues: RedeployVenue[] = [];
  let pump: NodeJS.Timeout | null = null;

  afterEach(async () => {
    if (pump) clearInterval(pump);
    pump = null;
    await helper.unload();
    await Promise.all(venues.map((venue) => venue.close()));
    venues = [];
  });

  it('msgs flow after every redeploy; handles, fake connections and listeners back to baseline after the last stop', async () => {
    venues = await openRedeployVenues();
    const wired = venues.filter((venue) => venue.open && venue.ever);
    const startPump = () => {
      pump = setInterval(() => {
        for (const venue of venues) venue.pump();
      }, 10);
    };
    const stopPump = () => {
      if (pump) clearInterval(pump);
      pump = null;
    };

    const flow = (round: number, kind: Kind): Flow => [
      { id: 'f1', type: 'tab', label: 'redeploys' },
      ...venues.flatMap((s) => [
        { id: `p-${s.id}`, type: 'market-provider', name: kind === 'providers' ? `${s.provider} ${round}` : s.provider, provider: s.provider, endpoint: s.endpoint, restEndpoint: s.restEndpoint, feed: s.feed, options: s.options },
        { id: `s-${s.id}`, type: 'market-stream-in', z: 'f1', name: kind === 'streams' ? `round ${round}` : '', provider: `p-${s.id}`, symbols: s.symbol, channels: [s.channel], interval: '1m', depth: 5, throttleMs: 0, staleAfter: 60, wires: [[`out-${s.id}`], []] },
        { id: `out-${s.id}`, type: 'helper', z: 'f1' },
      ]),
    ];
    const credentials = Object.fromEntries(venues.filter((s) => s.credentials).map((s) => [`p-${s.id}`, s.credentials]));
    /** Resolves once every stream has delivered a msg of its channel to its sink. */
    const everyStreamFlowing = async (what: string): Promise<void> => {
      const seen = new Set<string>();
      const detach: Array<() => void> = [];
      for (const s of venues) {
        const sink = helper.getNode(`out-${s.id}`) as Node;
        const onInput = (msg: NodeMessage) => {
          if ((msg.payload as { type?: string }).type === s.channel) seen.add(s.id);
        };
        sink.on('input', onInput);
        detach.push(() => sink.removeListener('input', onInput));
      }
      try {
        await waitFor(() => seen.size === venues.length, `${what}: msgs on every stream (missing ${venues.filter((s) => !seen.has(s.id)).map((s) => s.id).join(', ')})`, 20_000);
      } finally {
        for (const off of detach) off();
      }
    };
    const everAtFakes = () => wired.reduce((sum, venue) => sum + venue.ever!(), 0);
    const openAtFakes = () => Object.fromEntries(wired.map((venue) => [venue.id, venue.open!()]));
    const snapshot = () => ({ handles: activeHandles(), fakes: openAtFakes(), redEvents: listeners((helper as unknown as { _events: EventEmitter })._events), process: listeners(process) });

    // Warm-up: one deploy and stop, so that lazily created singletons (HTTP agents, module state) exist in the baseline.
    startPump();
    await helper.load(allNodes, flow(0, 'full') as never, credentials as never);
    await everyStreamFlowing('warm-up');
    stopPump();
    await helper.unload();
    await sleep(1);
    await waitFor(() => Object.values(openAtFakes()).every((n) => n === 0), 'warm-up connections closed');
    await sleep(100);
    const baseline = snapshot();

    startPump();
    await helper.load(allNodes, flow(0, 'full') as never, credentials as never);
    await everyStreamFlowing('first deploy');
    const kinds: Kind[] = ['full', 'streams', 'providers'];
    const done = { full: 0, streams: 0, providers: 0 };
    for (let round = 1; round <= REDEPLOYS; round += 1) {
      const kind = kinds[round % kinds.length]!;
      const connectionsBefore = everAtFakes();
      await helper.setFlows(flow(round, kind) as never, kind === 'full' ? 'full' : 'nodes', credentials as never);
      await everyStreamFlowing(`redeploy ${round} (${kind})`);
      if (kind === 'streams') assert.equal(everAtFakes(), connectionsBefore, `redeploy ${round}: redeploying the stream-in nodes kept the connections`);
      else assert.equal(everAtFakes(), connectionsBefore + wired.length, `redeploy ${round} (${kind}): one new connection per venue`);
      done[kind] += 1;
      // Never more than one connection per provider at a time, whatever the deploy.
      const open = openAtFakes();
      assert.ok(Object.values(open).every((n) => n <= 1), `redeploy ${round} (${kind}): ${JSON.stringify(open)} open at the fakes`);
    }
    assert.deepEqual(done, { full: 33, streams: 34, providers: 33 });
    stopPump();
    await helper.unload();
    await sleep(1);

    // Sockets close asynchronously: wait for the count to come back, then compare everything.
    await waitFor(() => JSON.stringify(snapshot()) === JSON.stringify(baseline), 'back to baseline', 10_000).catch(() => undefined);
    if (process.env.FAULTS_REPORT) console.log(JSON.stringify({ baseline, after: snapshot(), connections: everAtFakes() }));
    assert.deepEqual(snapshot(), baseline);
  });
});
