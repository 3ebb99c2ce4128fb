/**
 * Fault suite: a slow consumer. The simulator sends ~5,000 msgs/s over three symbols into a
 * market-stream-in with `throttleMs` set, wired to a node that busy-waits 10 ms per msg (it could
 * take 100 msgs/s at most). With the throttle, the Conflator is the only buffer (one pending event
 * per symbol and channel): memory must stay flat, and every quote or book replaced before it
 * could be sent is counted in health `dropped`, so that in = out + dropped exactly once the feed
 * stops. Trades are folded, never dropped: the folded `count`s add up to the trades in.
 *
 * Two runs: the stream-in core on a sim FeedSession under fake time (exact accounting, per key
 * and per period), and the real nodes in Node-RED under real time (heap, health on output 2).
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { HealthEvent, MarketEvent, TradeEvent } from '../../src/model/events';
import { FeedSession, type SessionUser } from '../../src/session/feed-session';
import { StreamConsumer } from '../../src/session/stream-consumer';
import { simProvider } from '../../src/providers/sim';
import type { ProviderSettings } from '../../src/model/provider';
import type { ProviderConfigNode } from '../../nodes/shared/provider-node';
import { fakeClock } from '../helpers/fake-clock';
import { allNodes, callsOf, helper } from '../helpers/node-red';
import { sleep, waitFor } from '../helpers/wait';

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'AAPL'];
const THROTTLE_MS = 100;
/** Sim rate multiplier for ~5,000 msgs/s of quote+book+trade on SYMBOLS (measured: ~4,100/s at rate 100). */
const CORE_RATE = 120;
/** quote+book only (the Node-RED run), ~5,000 msgs/s. */
const NODE_RED_RATE = 170;
const BUSY_MS = 10;
const HEAP_GROWTH_LIMIT = 20 * 1024 * 1024;

const keyOf = (event: MarketEvent): string => `${event.type}:${event.symbol}`;

function count(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function sum(map: Map<string, number>, keep: (key: string) => boolean): number {
  let total = 0;
  for (const [key, value] of map) if (keep(key)) total += value;
  return total;
}

/** A garbage collector to call between heap samples: Node exposes one on request at run time. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe('fault suite: slow consumer (10 ms per msg, ~5,000 msgs/s in, throttleMs 100)', function () {
  this.timeout(60_000);

  it('stream-in core under fake time: at most one msg per symbol and channel per period, dropped = in − out exactly, trades folded', async () => {
    const time = fakeClock();
    const settings: ProviderSettings = { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 7, rate: CORE_RATE }, credentials: {} };
    const session = new FeedSession(simProvider, settings, { clock: time.clock });
    const received = new Map<string, number>();
    const sent = new Map<string, number>();
    const lastIn = new Map<string, MarketEvent>();
    const lastOut = new Map<string, MarketEvent>();
    const sentAt = new Map<string, number[]>();
    let foldedTrades = 0;
    const consumer = new StreamConsumer('slow', session, { symbols: SYMBOLS, channels: ['quote', 'book', 'trade'], interval: '1m', depth: 5, throttleMs: THROTTLE_MS, staleAfterMs: 0 }, {
      event: (event) => {
        const key = keyOf(event);
        count(sent, key);
        lastOut.set(key, event);
        const times = sentAt.get(key) ?? [];
        times.push(time.clock.now());
        sentAt.set(key, times);
        if (event.type === 'trade') foldedTrades += (event as TradeEvent).count ?? 1;
      },
      status: () => undefined,
      error: (error) => assert.fail(error.message),
      display: () => undefined,
    }, { clock: time.clock });
    // Counts what the session delivers to the node, then hands it on.
    const counting: SessionUser = {
      id: consumer.id,
      onEvent: (event) => {
        count(received, keyOf(event));
        lastIn.set(keyOf(event), event);
        consumer.onEvent(event);
      },
      onStatus: (status) => consumer.onStatus(status),
      onError: (error) => consumer.onError(error),
    };
    try {
      session.attach(counting);
      consumer.start();
      await time.tickAsync(10_000);
      const inPerSecond = sum(received, () => true) / 10;
      assert.ok(inPerSecond > 4_000 && inPerSecond < 7_000, `${inPerSecond} msgs/s in`);
      // The feed stops; what is pending goes out within one period.
      consumer.apply({ action: 'unsubscribe', symbols: SYMBOLS, channels: ['quote', 'book', 'trade'] });
      await time.tickAsync(2 * THROTTLE_MS);

      const isTrade = (key: string) => key.startsWith('trade:');
      const latestIn = sum(received, (key) => !isTrade(key));
      const latestOut = sum(sent, (key) => !isTrade(key));
      const health = consumer.health();
      assert.ok(health.dropped > 0, 'quotes and books dropped');
      if (process.env.FAULTS_REPORT) console.log(`core: in ${sum(received, () => true)}, quote+book in ${latestIn}, out ${latestOut}, dropped ${health.dropped}, trades in ${foldedTrades} in ${sum(sent, isTrade)} msgs`);
      assert.equal(health.dropped, latestIn - latestOut, 'every quote and book in was sent or counted as dropped');
      assert.equal(foldedTrades, sum(received, isTrade), 'the folded trades add up to the trades in');
      assert.equal(received.size, SYMBOLS.length * 3);
      for (const [key, times] of sentAt) {
        // 10 s at one per 100 ms: 100 periods, plus the first event and the final flush.
        assert.ok(times.length <= 10_000 / THROTTLE_MS + 2, `${key}: ${times.length} msgs`);
        for (let i = 1; i < times.length; i += 1) assert.ok(times[i]! - times[i - 1]! >= THROTTLE_MS, `${key}: msgs ${times[i - 1]} and ${times[i]} less than ${THROTTLE_MS} ms apart`);
        // Latest wins: the last quote or book sent is the last one received.
        if (!isTrade(key)) assert.deepEqual(lastOut.get(key), lastIn.get(key), `${key}: the last value sent is the latest`);
      }
    } finally {
      consumer.stop();
      await session.close();
    }
  });

  describe('in Node-RED', () => {
    let slowReceived = 0;
    const slowSink = (RED: NodeAPI): void => {
      RED.nodes.registerType('slow-sink', function (this: Node, config: NodeDef) {
        RED.nodes.createNode(this, config);
        this.on('input', (_msg: NodeMessage, _send: unknown, done: () => void) => {
          const until = performance.now() + BUSY_MS;
          while (performance.now() < until) {
            // busy: a consumer slower than the feed
          }
          slowReceived += 1;
          done();
        });
      });
    };

    afterEach(async () => {
      await helper.unload();
    });

    beforeEach(() => {
      slowReceived = 0;
    });

    it('heap stays flat and health on output 2 counts every dropped msg: dropped = in − out', async () => {
      const flow = [
        { id: 'f1', type: 'tab', label: 'slow consumer' },
        { id: 'p1', type: 'market-provider', name: 'Sim', provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 11, rate: NODE_RED_RATE } },
        { id: 's1', type: 'market-stream-in', z: 'f1', name: '', provider: 'p1', symbols: SYMBOLS.join(', '), channels: ['quote', 'book'], interval: '1m', depth: 10, throttleMs: THROTTLE_MS, staleAfter: 60, wires: [['slow'], ['status']] },
        { id: 'slow', type: 'slow-sink', z: 'f1', wires: [] },
        { id: 'status', type: 'helper', z: 'f1' },
      ];
      await helper.load([...allNodes, slowSink], flow as never);
      const loadedAt = Date.now();
      const stream = helper.getNode('s1');
      const session = (helper.getNode('p1') as ProviderConfigNode).session!;
      const sendCalls = () => callsOf(stream, 'send') as Array<[Array<NodeMessage | null>]>;
      const gc = exposeGc();
      await waitFor(() => sendCalls().length > 0, 'the first msg', 10_000);

      const startedAt = Date.now();
      const inAtStart = session.stats().adapter.events!;
      const heap: number[] = [];
      while (Date.now() - startedAt < 8_000) {
        await sleep(250);
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
      const inPerSecond = (session.stats().adapter.events! - inAtStart) / ((Date.now() - startedAt) / 1000);
      assert.ok(inPerSecond > 2_500, `${Math.round(inPerSecond)} msgs/s in`);
      const quarter = Math.floor(heap.length / 4);
      const mean = (samples: number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;
      const growth = mean(heap.slice(-quarter)) - mean(heap.slice(quarter, 2 * quarter));
      assert.ok(growth < HEAP_GROWTH_LIMIT, `heap grew ${(growth / 1048576).toFixed(1)} MB between the 2nd and the last quarter`);

      // The feed stops (an unsubscribe msg); once the pending msgs are out, the next health msg has the final counts.
      stream.receive({ payload: { action: 'unsubscribe', symbols: SYMBOLS } } as never);
      // Pending msgs go out within one period (the Conflator checks every half period).
      await sleep(3 * THROTTLE_MS);
      const flushedAt = sendCalls().length;
      const totalIn = session.stats().adapter.events!;
      await waitFor(() => sendCalls().slice(flushedAt).some(([msgs]) => (msgs[1]?.payload as HealthEvent | undefined)?.type === 'health'), 'a health msg after the flush', 25_000);
      const calls = sendCalls();
      const healthAt = calls.findIndex(([msgs], i) => i >= flushedAt && (msgs[1]?.payload as HealthEvent | undefined)?.type === 'health');
      const health = calls[healthAt]![0][1]!.payload as HealthEvent;
      const out = calls.slice(0, healthAt).filter(([msgs]) => msgs[0]).length;
      assert.equal(session.stats().adapter.events, totalIn, 'nothing more came in after the unsubscribe');
      assert.ok(health.dropped > 0, 'msgs dropped');
      if (process.env.FAULTS_REPORT) console.log(`node-red: ${Math.round(inPerSecond)} msgs/s, in ${totalIn}, out ${out}, dropped ${health.dropped}, heap growth ${(growth / 1048576).toFixed(2)} MB, heap ${(Math.min(...heap) / 1048576).toFixed(1)}–${(Math.max(...heap) / 1048576).toFixed(1)} MB`);
      assert.equal(health.dropped, totalIn - out, `in ${totalIn}, out ${out}`);
      // At most one msg per symbol and channel per period, and every one of them reached the slow node.
      const keys = SYMBOLS.length * 2;
      assert.ok(out <= keys * ((Date.now() - loadedAt) / THROTTLE_MS + 2), `${out} msgs out in ${Date.now() - loadedAt} ms`);
      await waitFor(() => slowReceived === sendCalls().filter(([msgs]) => msgs[0]).length, 'the slow node done with every msg', 10_000);
    });
  });
});
