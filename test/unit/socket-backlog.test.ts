import assert from 'node:assert/strict';
import { ResilientSocket } from '../../src/transport/resilient-socket';
import type { ConnectionChange } from '../../src/model/connection';
import { TestWsServer } from '../helpers/ws-test-server';
import { waitFor } from '../helpers/wait';

/**
 * A consumer that queues work for a later turn of the event loop for every frame (as Node-RED
 * does with every msg) must not be handed a whole socket backlog in one turn: its queue, and
 * memory, would grow with the backlog. Every frame still arrives, in order.
 */
describe('ResilientSocket with a backlog of frames', () => {
  let server: TestWsServer;
  let socket: ResilientSocket | null = null;
  afterEach(async () => {
    await socket?.close();
    socket = null;
    await server.close();
  });

  it('hands over a backlog a few hundred frames per turn, every frame in order', async () => {
    const total = 20_000;
    server = await TestWsServer.start((ws, text) => {
      if (text !== 'go') return;
      // ~100-byte frames, about the size of a Binance trade: 650 to a 64 KiB read.
      for (let n = 0; n < total; n++) ws.send(`{"n":${n},"pad":"${'x'.repeat(80)}"}`);
    });
    const received: number[] = [];
    let queued = 0;
    let mostQueued = 0;
    const states: ConnectionChange['state'][] = [];
    socket = new ResilientSocket({
      label: 'test',
      target: () => ({ url: server.url }),
      staleAfterMs: 0,
      onMessage: (data) => {
        received.push((JSON.parse(data.toString()) as { n: number }).n);
        queued += 1;
        mostQueued = Math.max(mostQueued, queued);
        setImmediate(() => (queued -= 1));
      },
      onState: (change) => states.push(change.state),
    });
    socket.start();
    await waitFor(() => socket?.isReady === true, 'connected');
    socket.send('go');
    // Keep the event loop busy while the server writes, so the frames wait in the socket.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy
    }
    await waitFor(() => received.length === total, `${total} frames`, 10_000);
    assert.deepEqual(received.slice(0, 3), [0, 1, 2]);
    assert.ok(received.every((n, i) => n === i), 'frames arrive in order, none lost or repeated');
    // 500 frames, plus the rest of the 64 KiB read being parsed when reading paused (≈ 650 frames).
    assert.ok(mostQueued <= 1_500, `at most one turn's worth of frames queued at once, saw ${mostQueued}`);
    assert.deepEqual(states, ['connecting', 'connected']);
  });
});
