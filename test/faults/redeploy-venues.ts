/**
 * The providers of the redeploy test, one entry each: its fake (started and closed by the test),
 * the market-provider fields and credentials that point at it, a symbol and channel that carry
 * data, a pump that makes that symbol move, and the connection counts the test judges by (read
 * from the fake's side). Providers without a wire (sim, replay) have no connection counts.
 */
import path from 'node:path';
import type { Channel } from '../../src/model/events';
import { FakeBinance } from '../fakes/binance/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { FakeKraken } from '../fakes/kraken/server';
import { FakeSchwab } from '../fakes/schwab/fake';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import { FakeTastytradeRest } from '../fakes/tastytrade/rest';
import { freshToken } from '../fakes/http-json';

export interface RedeployVenue {
  id: string;
  provider: string;
  symbol: string;
  channel: Channel;
  endpoint: string;
  restEndpoint: string;
  feed: string;
  options: Record<string, unknown>;
  credentials?: Record<string, string>;
  /** Makes the symbol move once. */
  pump(): void;
  /** Connections open at the fake now, and accepted since it started (absent: no wire). */
  open?: () => number;
  ever?: () => number;
  close(): Promise<void>;
}

const RECORDING = path.resolve(__dirname, '..', '..', '..', 'examples', 'recordings', 'sim-sample.ndjson.gz');

export async function openRedeployVenues(): Promise<RedeployVenue[]> {
  const binance = await FakeBinance.start();
  const coinbase = await FakeCoinbase.start();
  const kraken = await FakeKraken.start();
  binance.list('BTCUSDT');
  coinbase.list('BTC-USD');
  kraken.list('BTC/USD');

  const schwabCredentials = { clientId: freshToken('schwab-key'), clientSecret: freshToken('schwab-secret'), refreshToken: freshToken('schwab-refresh') };
  const schwab = await FakeSchwab.start({ ...schwabCredentials, heartbeatMs: 0 });
  let schwabStep = 0;

  const dxfeed = await FakeDxlinkServer.start({ requireAuth: true });
  const dxfeedToken = freshToken('dxfeed-token');
  dxfeed.tokens.set(dxfeedToken, Date.now() + 3_600_000);
  let dxfeedStep = 0;

  const tastyDxlink = await FakeDxlinkServer.start({ requireAuth: true });
  const tastyCredentials = { clientSecret: freshToken('tt-secret'), refreshToken: freshToken('tt-refresh') };
  const tasty = await FakeTastytradeRest.start({ ...tastyCredentials, dxlink: tastyDxlink });
  let tastyStep = 0;

  const none = async (): Promise<void> => undefined;
  return [
    { id: 'sim', provider: 'sim', symbol: 'BTC-USD', channel: 'trade', endpoint: '', restEndpoint: '', feed: '', options: { seed: 3, rate: 20 }, pump: () => undefined, close: none },
    {
      id: 'replay', provider: 'replay', symbol: 'SPY   261211C00560000', channel: 'quote', endpoint: '', restEndpoint: '', feed: '',
      options: { file: RECORDING, speed: 20, loop: true }, pump: () => undefined, close: none,
    },
    {
      id: 'binance', provider: 'binance', symbol: 'BTCUSDT', channel: 'trade', endpoint: binance.wsUrl, restEndpoint: binance.restUrl, feed: '', options: {},
      pump: () => binance.trade('BTCUSDT'), open: () => binance.openConnections.length, ever: () => binance.connections.length, close: () => binance.close(),
    },
    {
      id: 'coinbase', provider: 'coinbase', symbol: 'BTC-USD', channel: 'trade', endpoint: coinbase.url, restEndpoint: '', feed: '', options: {},
      pump: () => coinbase.trade('BTC-USD'), open: () => coinbase.openConnections.length, ever: () => coinbase.connections.length, close: () => coinbase.close(),
    },
    {
      id: 'kraken', provider: 'kraken', symbol: 'BTC/USD', channel: 'trade', endpoint: kraken.url, restEndpoint: '', feed: '', options: {},
      pump: () => kraken.trade('BTC/USD'), open: () => kraken.openConnections.length, ever: () => kraken.connections.length, close: () => kraken.close(),
    },
    {
      id: 'schwab', provider: 'schwab', symbol: 'MSFT', channel: 'quote', endpoint: schwab.streamerUrl, restEndpoint: schwab.restUrl, feed: '', options: {}, credentials: schwabCredentials,
      pump: () => {
        schwabStep += 1;
        const price = 420 + schwabStep / 100;
        schwab.publish('LEVELONE_EQUITIES', 'MSFT', { '1': price, '2': price + 0.05, '4': 3, '5': 4, '35': Date.now() });
      },
      open: () => schwab.openSockets, ever: () => schwab.connections, close: () => schwab.close(),
    },
    {
      id: 'dxfeed', provider: 'dxfeed', symbol: 'AAPL', channel: 'quote', endpoint: dxfeed.url, restEndpoint: '', feed: '', options: {}, credentials: { token: dxfeedToken },
      pump: () => {
        dxfeedStep += 1;
        const price = 190 + dxfeedStep / 100;
        dxfeed.publish([{ eventType: 'Quote', eventSymbol: 'AAPL', bidPrice: price, askPrice: price + 0.05, bidSize: 3, askSize: 4 }]);
      },
      open: () => dxfeed.openSockets, ever: () => dxfeed.connections, close: () => dxfeed.close(),
    },
    {
      id: 'tastytrade', provider: 'tastytrade', symbol: 'SPY', channel: 'quote', endpoint: tastyDxlink.url, restEndpoint: tasty.url, feed: 'live', options: {}, credentials: tastyCredentials,
      pump: () => {
        tastyStep += 1;
        const price = 600 + tastyStep / 100;
        tastyDxlink.publish([{ eventType: 'Quote', eventSymbol: 'SPY', bidPrice: price, askPrice: price + 0.05, bidSize: 3, askSize: 4 }]);
      },
      open: () => tastyDxlink.openSockets, ever: () => tastyDxlink.connections,
      close: async () => {
        await tasty.close();
        await tastyDxlink.close();
      },
    },
  ];
}
