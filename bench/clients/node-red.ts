/**
 * (d) Our nodes in a real Node-RED runtime: market-provider → market-stream-in → a native
 * counting node (see lib/node-red-flow.ts). Counted where the counting node receives the msg.
 */
import type { MarketEvent } from '../../src/model/events';
import { sink } from '../lib/counter-node';
import { runClient } from '../lib/harness';
import { startFlow } from '../lib/node-red-flow';

runClient(async (task, meter) => {
  sink.onPayload = (payload) => {
    const event = payload as MarketEvent;
    if (event.type === 'trade') {
      meter.sample(event.ts);
      meter.see(Number(event.id));
    } else if (event.type === 'book') {
      meter.see(event.seq as number);
    }
  };
  await startFlow({
    wsBase: task.wsBase,
    restBase: task.restBase,
    channels: [task.kind === 'trade' ? 'trade' : 'book'],
    // Latency runs: exchange times in µs, so `ts` carries the send instant to the microsecond.
    ...(task.latency ? { options: { timeUnit: 'MICROSECOND' } } : {}),
  });
});
