/**
 * (a) The ceiling: bare `ws` + JSON.parse + normalizing each trade to our TradeEvent, counted
 * where it is built. Same wire format as our adapter (the combined `/stream`). For depth it is
 * ws + JSON.parse only (the snapshot is fetched, no book is kept): what the transport and the
 * parser allow.
 */
import WebSocket from 'ws';
import type { TradeEvent } from '../../src/model/events';
import { DEPTH_STREAM, SYMBOL, TRADE_STREAM } from '../lib/frames';
import { runClient } from '../lib/harness';

interface RawTrade {
  e: string;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
  u?: number;
}

runClient((task, meter) => {
  const microseconds = task.latency !== undefined;
  const divisor = microseconds ? 1000 : 1;
  const socket = new WebSocket(`${task.wsBase}/stream${microseconds ? '?timeUnit=MICROSECOND' : ''}`);
  socket.on('open', () => {
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: [task.kind === 'trade' ? TRADE_STREAM : DEPTH_STREAM], id: 1 }));
    // The server holds the diff stream until a client has asked for the snapshot (as a book client does).
    if (task.kind === 'depth') void fetch(`${task.restBase}/api/v3/depth?symbol=${SYMBOL}&limit=1000`).then((res) => res.text());
  });
  socket.on('error', (err) => {
    throw err;
  });
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { data?: RawTrade };
    const raw = frame.data;
    if (raw === undefined) return;
    if (raw.e === 'trade') {
      const event: TradeEvent = {
        type: 'trade',
        provider: 'binance',
        symbol: raw.s,
        ts: raw.T / divisor,
        receivedAt: Date.now(),
        price: Number(raw.p),
        size: Number(raw.q),
        side: raw.m ? 'sell' : 'buy',
        id: String(raw.t),
      };
      meter.sample(event.ts);
      meter.see(Number(event.id));
    } else if (raw.e === 'depthUpdate') {
      meter.see(raw.u as number);
    }
  });
});
