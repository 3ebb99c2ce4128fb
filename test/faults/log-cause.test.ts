/**
 * Issue 17 item 4: a refused endpoint must show its cause in Node-RED's log, in one format for
 * every provider — provider, what failed, the cause, the next try — not a bare "socket closed
 * (1006)", and without the provider's name twice.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocketServer } from 'ws';
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

  it('dxfeed: a server that accepts and never answers is "reconnecting" with the reason, logged once per try, not "connecting" for ever', async () => {
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => silent.once('listening', () => resolve()));
    let accepted = 0;
    silent.on('connection', () => (accepted += 1));
    try {
      const { port } = silent.address() as net.AddressInfo;
      h = openHarness(createDxfeedProvider({ backoff: BACKOFF, handshakeMs: 300 }), settingsFor('dxfeed', { endpoint: `ws://127.0.0.1:${port}/dxlink-ws`, credentials: { token: 'demo-token' } }));
      h.subscribe([{ channel: 'trade', symbol: 'AAPL' }]);
      await until(() => h!.session.status.state === 'reconnecting', 'reconnecting after the silent handshake', 5_000);
      assert.match(h.session.status.detail, /accepted the connection but sent no SETUP within 0\.3 s/);
      await until(() => accepted >= 2, 'a second try at the silent server', 5_000);
      const warnings = h.logs.filter((line) => line.startsWith('warn:'));
      assert.ok(warnings.length >= 1);
      assert.match(warnings[0]!, /^warn: dxfeed: .*sent no SETUP within 0\.3 s; next try in [0-9.]+ s \(attempt \d+\)$/);
      assert.ok(!warnings.some((line) => /token|AUTH/i.test(line)), `a silent server is not a refused token: ${warnings.join(' | ')}`);
    } finally {
      await h?.close();
      h = undefined;
      for (const client of silent.clients) client.terminate();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
