/**
 * (c) Our Binance adapter core: a FeedSession on the binance provider (endpoint and
 * restEndpoint on the replay server), events counted in a SessionUser — what a stream-in node
 * receives, without Node-RED.
 */
import { FeedSession, type SessionUser } from '../../src/session/feed-session';
import { createBinanceProvider } from '../../src/providers/binance';
import type { MarketEvent } from '../../src/model/events';
import { SYMBOL } from '../lib/frames';
import { runClient } from '../lib/harness';

runClient(
  (task, meter, notes) => {
    const latency = task.latency !== undefined;
    const session = new FeedSession(createBinanceProvider(), {
      provider: 'binance',
      endpoint: `${task.wsBase}/stream`,
      restEndpoint: task.restBase,
      feed: '',
      // Latency runs: exchange times in µs, so `ts` carries the send instant to the microsecond.
      options: latency ? { timeUnit: 'MICROSECOND' } : {},
      credentials: {},
    });
    const user: SessionUser = {
      id: 'bench',
      onEvent(event: MarketEvent) {
        if (event.type === 'trade') {
          meter.sample(event.ts);
          meter.see(Number(event.id));
        } else if (event.type === 'book') {
          meter.see(event.seq as number);
        }
      },
      onStatus(status) {
        if (status.type === 'status' && status.symbol !== undefined) notes.push(`${status.symbol} ${status.state}: ${status.detail}`);
      },
      onError(error) {
        notes.push(`error: ${error.message}`);
      },
    };
    session.attach(user);
    session.subscribe('bench', [task.kind === 'trade' ? { channel: 'trade', symbol: SYMBOL } : { channel: 'book', symbol: SYMBOL, depth: 10 }]);
  },
);
