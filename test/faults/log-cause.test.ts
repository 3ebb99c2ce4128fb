/**
 * Issue 17 item 4: a refused endpoint must show its cause in Node-RED's log, in one format for
 * every provider — provider, what failed, the cause, the next try — not a bare "socket closed
 * (1006)", and without the provider's name twice.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { createBinanceProvider } from '../../src/providers/binance';
import { createCoinbaseProvider } from '../../src/providers/coinbase';
import { createKrakenProvider } from '../../src/providers/kraken';
import { createDxfeedProvider } from '../../src/providers/dxfeed';
import type { ProviderDefinition } from '../../src/model/provider';
import { openHarness, settingsFor, until, type Harness } from '../unit/providers/harness';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const BACKOFF = { initialMs: 50, maxMs: 200, jitter: 0 };
const CASES: Array<[string, ProviderDefinition, (port: number) => string]> = [
  ['binance', createBinanceProvider({ backoff: BACKOFF }), (port) => `ws://127.0.0.1:${port}`],
  ['coinbase', createCoinbaseProvider({ backoff: BACKOFF }), (port) => `ws://127.0.0.1:${port}`],
  ['kraken', createKrakenProvider({ backoff: BACKOFF }), (port) => `ws://127.0.0.1:${port}/v2`],
  ['dxfeed', createDxfeedProvider({ backoff: BACKOFF }), (port) => `ws://127.0.0.1:${port}/dxlink-ws`],
];

describe('the log names the cause of a failed connection, one format for every provider', function () {
  this.timeout(20_000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  for (const [id, provider, url] of CASES) {
    it(`${id}: a refused endpoint logs "${id}: Unable to connect to <url>: … ECONNREFUSED …; next try in …"`, async () => {
      const port = await closedPort();
      h = openHarness(provider, settingsFor(id, { endpoint: url(port) }));
      h.subscribe([{ channel: 'trade', symbol: id === 'dxfeed' ? 'AAPL' : id === 'binance' ? 'BTCUSDT' : id === 'kraken' ? 'BTC/USD' : 'BTC-USD' }]);
      await until(() => h!.logs.filter((line) => line.startsWith('warn:')).length >= 2, 'two failed attempts logged', 15_000);
      const warnings = h.logs.filter((line) => line.startsWith('warn:'));
      for (const line of warnings.slice(0, 2)) {
        assert.match(line, new RegExp(`^warn: ${id}: Unable to connect to ws://127\\.0\\.0\\.1:${port}\\S*: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}; next try in [0-9.]+ s \\(attempt \\d+\\)$`));
        assert.ok(!line.includes(`${id}: ${id}`), `the provider named once: ${line}`);
      }
      assert.ok(!h.logs.some((line) => /^(warn|info): .*socket closed \(1006\)/.test(line)), 'no bare close code above debug');
      assert.equal(h.session.status.state, 'reconnecting');
      assert.match(h.session.status.detail, /ECONNREFUSED/);
    });
  }
});
