/**
 * Every status and error text our nodes show in the common cases exists in their
 * locales/en-US/<node>.json: the nodes run with a RED._ that translates like Node-RED's (one
 * namespace per node file), and no text may come out as a raw key. Editor labels (palette,
 * node, field labels) are checked against the same files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node } from 'node-red';
import { loadCatalog, translate, translated } from '../helpers/locales';
import { callsOf, helper, providerNode, streamInNode } from '../helpers/node-red';
import { freePort } from '../helpers/node-red-process';
import { waitFor } from '../helpers/wait';
import { bookAnalyticsNode, flowClassifyNode, flowTab, signalNode, simProvider, streamIn, type FlowNodes } from './analytics-nodes';

const nodes = [
  translated(providerNode, 'provider-config'),
  translated(streamInNode, 'stream-in'),
  translated(flowClassifyNode, 'flow-classify'),
  translated(bookAnalyticsNode, 'book-analytics'),
  translated(signalNode, 'signal'),
];
const load = (flow: FlowNodes) => helper.load(nodes, flow as never);
/** `market-<type>.<section>.<key>`: what an i18n key of ours looks like. */
const RAW_KEY = /market-[a-z-]+\.[A-Za-z]+\.[A-Za-z]/;

const provider = (id: string, settings: Record<string, unknown>) => ({ id, type: 'market-provider', name: '', endpoint: '', restEndpoint: '', feed: '', options: {}, ...settings });
const analytics = (id: string, type: string, extra: Record<string, unknown> = {}) => ({ id, type, z: 'f1', name: '', wires: type === 'market-flow-classify' ? [[], [], []] : type === 'market-signal' ? [[]] : [[], []], ...extra });

/** Status texts and error texts (node.error, done(err)) of one node so far. */
function textsOf(node: Node): { statuses: string[]; errors: string[] } {
  const statuses = callsOf(node, 'status').map((args) => String((args[0] as { text?: string }).text ?? ''));
  const errors = callsOf(node, 'error').map((args) => (args[0] instanceof Error ? args[0].message : String(args[0])));
  return { statuses, errors };
}

function assertNoRawKey(ids: string[]): { statuses: string[]; errors: string[] } {
  const all = { statuses: [] as string[], errors: [] as string[] };
  for (const id of ids) {
    const { statuses, errors } = textsOf(helper.getNode(id));
    for (const text of [...statuses, ...errors]) assert.doesNotMatch(text, RAW_KEY, `${id}: "${text}" is a key without a text in its locales`);
    all.statuses.push(...statuses);
    all.errors.push(...errors);
  }
  return all;
}

describe('locales: status and error texts of every node exist in locales/en-US', function () {
  this.timeout(20_000);
  afterEach(async () => {
    await helper.unload();
  });

  it('translates a running stream: connecting, live, reconnecting, no subscriptions', async () => {
    const closedPort = await freePort();
    await load([
      flowTab,
      simProvider(),
      provider('dead', { provider: 'binance', endpoint: `ws://127.0.0.1:${closedPort}/stream` }),
      streamIn('s1', 'BTC-USD', ['trade'], [[], []]),
      streamIn('s2', 'BTCUSDT', ['trade'], [[], []], { provider: 'dead' }),
    ]);
    const s1 = helper.getNode('s1');
    const s2 = helper.getNode('s2');
    await waitFor(() => textsOf(s1).statuses.some((t) => /^\d+ msg\/s$/.test(t)), 'a live status');
    await waitFor(() => textsOf(s2).statuses.some((t) => t.startsWith('reconnecting')), 'a reconnecting status');
    s1.receive({ payload: { action: 'unsubscribe', symbols: ['BTC-USD'] } } as never);
    await waitFor(() => textsOf(s1).statuses.includes('no subscriptions'), 'an idle status');
    const { statuses } = assertNoRawKey(['s1', 's2']);
    assert.ok(statuses.includes('connecting'), statuses.join(', '));
  });

  it('translates configuration errors of the provider and of stream-in, and the not-running error', async () => {
    await load([
      flowTab,
      provider('unknown', { provider: 'nasdaq-magic' }),
      provider('planned', { provider: 'polygon' }),
      provider('text-options', { provider: 'sim', options: 'seed: 1' }),
      provider('array-options', { provider: 'sim', options: [1] }),
      streamIn('a', 'AAPL', ['quote'], [[], []], { provider: 'unknown' }),
      streamIn('b', 'AAPL', ['quote'], [[], []], { provider: 'planned' }),
      streamIn('c', 'AAPL', ['quote'], [[], []], { provider: 'text-options' }),
      streamIn('d', 'AAPL', ['quote'], [[], []], { provider: 'array-options' }),
      streamIn('e', 'AAPL', ['quote'], [[], []], { provider: '' }),
    ]);
    helper.getNode('e').receive({ payload: { action: 'subscribe', symbols: ['SPY'] } } as never);
    await waitFor(() => textsOf(helper.getNode('e')).errors.length === 2, 'the not-running error');
    const { statuses, errors } = assertNoRawKey(['unknown', 'planned', 'text-options', 'array-options', 'a', 'b', 'c', 'd', 'e']);
    assert.deepEqual([...new Set(statuses)], ['config error']);
    for (const expected of [/^Unknown provider "nasdaq-magic"/, /^Provider "polygon" is planned/, /not JSON$/, /^options must be a JSON object, e\.g\. \{"seed": 1\}$/, /^No provider selected/, /^This node is not running/]) {
      assert.ok(errors.some((e) => expected.test(e)), `${expected}: ${errors.join(' | ')}`);
    }
  });

  it('translates the analytics nodes\' statuses: waiting, counts, warm-up, no book, config error, not running', async () => {
    await load([
      flowTab,
      simProvider(),
      // Real time for the signal, so its warm-up lasts long enough to be shown.
      { ...simProvider({ seed: 1 }), id: 'realtime' },
      streamIn('options', 'SPY*', ['quote', 'trade'], [['fc'], []]),
      streamIn('btc', 'BTC-USD', ['book'], [['ba'], ['ba']]),
      streamIn('eth', 'ETH-USD', ['quote'], [['quotes-only'], []]),
      streamIn('ticks', 'BTC-USD', ['trade'], [['sig'], []], { provider: 'realtime' }),
      analytics('fc', 'market-flow-classify'),
      analytics('ba', 'market-book-analytics'),
      analytics('quotes-only', 'market-book-analytics'),
      analytics('sig', 'market-signal', { method: 'ema', source: 'trade', barS: 1, fast: 3, slow: 8, lookback: 20, threshold: '', hysteresis: 0.2, cooldownS: 5, warmup: 0 }),
      analytics('bad-fc', 'market-flow-classify', { windowMs: 'soon' }),
      analytics('bad-ba', 'market-book-analytics', { imbalanceAlert: 1.5 }),
      analytics('bad-sig', 'market-signal', { fast: 30, slow: 10 }),
    ]);
    for (const id of ['bad-fc', 'bad-ba', 'bad-sig']) helper.getNode(id).receive({ payload: { type: 'trade', symbol: 'X', ts: 1, price: 1, size: 1 } } as never);
    const shows = (id: string, pattern: RegExp) => textsOf(helper.getNode(id)).statuses.some((t) => pattern.test(t));
    await waitFor(() => shows('fc', /^[1-9]\d* flows, \d+ whales$/), 'flow counts', 15_000);
    await waitFor(() => shows('ba', /^\d+ books, \d+ alerts$/), 'book counts', 5_000);
    await waitFor(() => shows('sig', /^warming up \d+\/8$/), 'the signal warm-up', 5_000);
    await waitFor(() => shows('quotes-only', /^quote msgs, no book$/), 'a status saying no book came', 5_000);
    const { statuses, errors } = assertNoRawKey(['fc', 'ba', 'quotes-only', 'sig', 'bad-fc', 'bad-ba', 'bad-sig']);
    for (const text of ['waiting for prints', 'waiting for books', 'waiting for prices', 'config error']) assert.ok(statuses.includes(text), `${text}: ${statuses.join(', ')}`);
    assert.equal(errors.filter((e) => /^This node is not running because of a configuration error/.test(e)).length, 3, errors.join(' | '));
  });

  it('has a text for every key the editor and runtime files name', () => {
    const nodesDir = path.resolve(__dirname, '..', '..', 'nodes');
    // A literal key ("[placeholder]" and "[html]" prefixes for data-i18n); keys built at run time (`"….channel." + channel`) end in a dot and are left out.
    const literalKey = /["'](?:\[\w+\])?(market-[a-z-]+\.[A-Za-z]+\.[A-Za-z.]*[A-Za-z])["']/g;
    for (const folder of ['provider-config', 'stream-in', 'flow-classify', 'book-analytics', 'signal']) {
      const catalog = loadCatalog(folder);
      for (const file of [`${folder}.html`, `${folder}.js`]) {
        const text = fs.readFileSync(path.join(nodesDir, folder, file), 'utf8');
        const keys = [...text.matchAll(literalKey)].map((m) => m[1]!);
        assert.ok(keys.length >= 1, `${file}: ${keys.length} keys found`);
        for (const key of keys) assert.notEqual(translate(catalog, key), key, `${file} names ${key}, which its locales do not have`);
      }
      const html = fs.readFileSync(path.join(nodesDir, folder, `${folder}.html`), 'utf8');
      assert.doesNotMatch(html, /paletteLabel:\s*"/, `${folder}.html: the palette label comes from its locales`);
    }
    const signal = loadCatalog('signal');
    for (const method of ['roc', 'ema', 'vwap', 'zscore']) assert.notEqual(translate(signal, `market-signal.nodeLabel.${method}`), `market-signal.nodeLabel.${method}`);
    const stream = loadCatalog('stream-in');
    for (const channel of ['quote', 'trade', 'candle', 'book', 'greeks', 'summary']) assert.notEqual(translate(stream, `market-stream-in.channel.${channel}`), `market-stream-in.channel.${channel}`);
    for (const key of ['connecting', 'live', 'reconnecting', 'stale', 'authFailed', 'error', 'closed', 'idle']) assert.notEqual(translate(stream, `market-stream-in.status.${key}`), `market-stream-in.status.${key}`, `StatusView key ${key}`);
    for (const folder of ['stream-in', 'flow-classify', 'book-analytics', 'signal']) {
      const catalog = loadCatalog(folder);
      const type = Object.keys(catalog)[0]!;
      // Keys nodes/shared builds from the node type.
      for (const key of ['status.configError', 'errors.notRunning']) assert.notEqual(translate(catalog, `${type}.${key}`), `${type}.${key}`, `${folder}: ${key}`);
    }
  });
});
