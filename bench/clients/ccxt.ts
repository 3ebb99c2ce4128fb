/**
 * (b) ccxt's websocket API (`watchTrades`, `watchOrderBook`) on its Binance class, as its
 * documentation shows it: an await loop. Its URLs point at the replay server (every REST and
 * WebSocket URL, so a mistake would hit 127.0.0.1, never a real host) and its markets are
 * injected with setMarkets, so it makes no outside call; the network guard refuses and records
 * any other connection. ccxt batches: trades are counted by id, books by the update id
 * (`nonce`) reached.
 */
import { SYMBOL } from '../lib/frames';
import { runClient } from '../lib/harness';

// ccxt ships CommonJS for require(); its types are not needed for this loop.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ccxt = require('ccxt') as { pro: Record<string, new (config?: Record<string, unknown>) => CcxtExchange> };

interface CcxtTrade {
  id: string;
  info: { L?: number };
}

interface CcxtOrderBook {
  nonce?: number;
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
}

interface CcxtExchange {
  urls: { api: Record<string, unknown> };
  setMarkets(markets: unknown[]): void;
  loadHttpProxyAgent(): Promise<unknown>;
  watchTrades(symbol: string): Promise<CcxtTrade[]>;
  watchOrderBook(symbol: string, limit?: number): Promise<CcxtOrderBook>;
  close(): Promise<void>;
}

/** Every URL in ccxt's `urls.api` tree, pointed at the replay server. */
function pointAt(node: Record<string, unknown>, ws: string, rest: string): void {
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string') {
      if (/^wss?:/.test(value)) node[key] = ws;
      else if (/^https?:/.test(value)) node[key] = `${rest}/unused/${key}`;
    } else if (value && typeof value === 'object') pointAt(value as Record<string, unknown>, ws, rest);
  }
}

/** BTC/USDT spot, as ccxt's loadMarkets would describe it (precision as tick sizes). */
const MARKET = {
  id: SYMBOL,
  lowercaseId: SYMBOL.toLowerCase(),
  symbol: 'BTC/USDT',
  base: 'BTC',
  quote: 'USDT',
  baseId: 'BTC',
  quoteId: 'USDT',
  type: 'spot',
  spot: true,
  margin: false,
  swap: false,
  future: false,
  option: false,
  contract: false,
  active: true,
  precision: { amount: 0.00001, price: 0.01 },
  limits: { amount: { min: 0.00001, max: 9000 }, price: { min: 0.01, max: 1000000 }, cost: { min: 5, max: undefined } },
  info: {},
};

runClient(
  async (task, meter) => {
    const exchange = new ccxt.pro.binance({ enableRateLimit: true });
    const api = exchange.urls.api;
    pointAt(api, `${task.wsBase}/ws`, task.restBase);
    api.public = `${task.restBase}/api/v3`;
    exchange.setMarkets([MARKET]);
    // ccxt asks for this before it opens a plain ws:// URL (it hands the agent to ws).
    await exchange.loadHttpProxyAgent();
    if (task.kind === 'trade') {
      let lastId = 0;
      for (;;) {
        const trades = await exchange.watchTrades('BTC/USDT');
        for (const trade of trades) {
          const id = Number(trade.id);
          if (id <= lastId) continue;
          lastId = id;
          if (trade.info.L !== undefined) meter.sample(trade.info.L);
          meter.see(id);
        }
        if (meter.isFinished) break;
      }
    } else {
      for (;;) {
        const book = await exchange.watchOrderBook('BTC/USDT');
        if (book.nonce !== undefined) meter.see(book.nonce);
        if (meter.isFinished) break;
      }
    }
  },
);
