/**
 * market-stream-in on the tastytrade and schwab providers, with the config node's endpoint and
 * restEndpoint pointing at the fakes; the two example flows, loaded with their endpoints
 * overridden; and a scan of everything the nodes showed for the credentials and tokens in play.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import { FakeTastytradeRest } from '../fakes/tastytrade/rest';
import { FakeSchwab } from '../fakes/schwab/fake';
import { freshToken } from '../fakes/http-json';
import { SecretWatch } from '../fakes/secret-watch';
import { activeHandles, sleep, waitFor } from '../helpers/wait';
import { allNodes, callsOf, helper, sentOn } from '../helpers/node-red';
import { requireFromNodeRed } from '../helpers/runtime';

type Flow = Array<Record<string, unknown>>;
const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
// The examples use Node-RED's switch node; debug and comment nodes are left out of the loaded flows.
const switchNode = requireFromNodeRed('@node-red/nodes/core/function/10-switch.js');
const OCC = 'SPY   270115C00600000';
const STREAMER = '.SPY270115C600';
const tab = { id: 'f1', type: 'tab', label: 'test' };
const sink = (id: string) => ({ id, type: 'helper', z: 'f1' });

function streamIn(id: string, provider: string, symbols: string, channels: string[], extra: Record<string, unknown> = {}) {
  return { id, type: 'market-stream-in', z: 'f1', name: '', provider, symbols, channels, interval: '1m', depth: 10, throttleMs: 0, staleAfter: 60, wires: [[`${id}-out`], [`${id}-status`]], ...extra };
}

/** Calls of a Node method the helper spies on (send, status, error, warn, log); none when it does not. */
function spiedCalls(node: Node | null, method: 'send' | 'status' | 'error' | 'warn' | 'log'): unknown[][] {
  if (!node) return [];
  const spy = (node as unknown as Record<string, { getCalls?: () => Array<{ thisValue: unknown; args: unknown[] }> }>)[method];
  return (spy?.getCalls?.() ?? []).filter((call) => call.thisValue === node).map((call) => call.args);
}

describe('market-stream-in on tastytrade and schwab (Node-RED runtime, fakes)', function () {
  this.timeout(20_000);
  const watch = new SecretWatch();
  let dxlink: FakeDxlinkServer | null = null;
  let tasty: FakeTastytradeRest | null = null;
  let schwab: FakeSchwab | null = null;
  const shown: Node[] = [];

  /** Everything a user could see from these nodes goes to the secret scan. */
  function watchNodes(...ids: string[]): void {
    for (const id of ids) shown.push(helper.getNode(id));
    assert.ok(shown.every((node) => node !== null), 'every watched node is running');
  }

  afterEach(async () => {
    for (const node of shown.splice(0)) for (const method of ['send', 'status', 'error', 'warn', 'log'] as const) for (const args of spiedCalls(node, method)) watch.capture(args);
    const logSpy = helper.log() as unknown as { getCalls?: () => Array<{ args: unknown[] }> } | undefined;
    for (const call of logSpy?.getCalls?.() ?? []) watch.capture(call.args);
    await helper.unload();
    await dxlink?.close();
    await tasty?.close();
    await schwab?.close();
    dxlink = null;
    tasty = null;
    schwab = null;
  });

  async function startTastytrade() {
    const clientSecret = freshToken('tt-secret');
    const refreshToken = freshToken('tt-refresh');
    watch.secret(clientSecret, refreshToken);
    dxlink = await FakeDxlinkServer.start();
    tasty = await FakeTastytradeRest.start({ clientSecret, refreshToken, dxlink });
    const fake = tasty;
    watch.issuedBy(() => fake.issued);
    return { clientSecret, refreshToken };
  }

  async function startSchwab() {
    const clientId = freshToken('schwab-key');
    const clientSecret = freshToken('schwab-secret');
    const refreshToken = freshToken('schwab-refresh');
    watch.secret(clientId, clientSecret, refreshToken);
    schwab = await FakeSchwab.start({ clientId, clientSecret, refreshToken });
    const fake = schwab;
    watch.issuedBy(() => [...fake.issued, fake.customerId, fake.correlId]);
    return { clientId, clientSecret, refreshToken };
  }

  it('tastytrade: emits quote and greeks msgs for an OCC symbol, with the OCC topic and option fields', async () => {
    const credentials = await startTastytrade();
    const provider = { id: 'tt', type: 'market-provider', name: '', provider: 'tastytrade', endpoint: dxlink!.url, restEndpoint: tasty!.url, feed: 'live', options: {} };
    await helper.load(allNodes, [tab, provider, streamIn('s1', 'tt', 'SPY270115C00600000', ['quote', 'greeks']), sink('s1-out'), sink('s1-status')] as never, { tt: credentials } as never);
    watchNodes('s1', 'tt');
    await waitFor(() => dxlink!.subscriptions().length === 3, 'subscribed upstream');
    assert.deepEqual(dxlink!.subscriptions(), [`Greeks:${STREAMER}`, `Quote:${STREAMER}`, `TheoPrice:${STREAMER}`]);
    dxlink!.publish([
      { eventType: 'Quote', eventSymbol: STREAMER, bidPrice: 41.2, bidSize: 12, askPrice: 41.6, askSize: 8, bidExchangeCode: 'X', askExchangeCode: 'C' },
      { eventType: 'Greeks', eventSymbol: STREAMER, time: 1795186800000, volatility: 0.18, delta: 0.57, gamma: 0.004, theta: -0.09, vega: 1.2, rho: 0.8 },
    ]);
    const node = helper.getNode('s1');
    await waitFor(() => sentOn(node, 0).length === 2, 'two msgs');
    const msgs = callsOf(node, 'send').map((args) => (args[0] as Array<NodeMessage | null>)[0]).filter((m): m is NodeMessage => !!m);
    assert.deepEqual(msgs.map((m) => m.topic), [OCC, OCC]);
    const [quote, greeks] = msgs.map((m) => m.payload as Record<string, unknown>);
    const option = { underlying: 'SPY', expiry: '2027-01-15', right: 'call', strike: 600, multiplier: 100 };
    assert.deepEqual([quote!.type, quote!.bid, quote!.ask, quote!.bidSize, quote!.askExchange, quote!.option], ['quote', 41.2, 41.6, 12, 'C', option]);
    assert.deepEqual([greeks!.type, greeks!.iv, greeks!.delta, greeks!.ts, greeks!.option], ['greeks', 0.18, 0.57, 1795186800000, option]);
    assert.deepEqual(callsOf(node, 'status').at(-1)![0], { fill: 'green', shape: 'dot', text: 'market-stream-in.status.live' });
  });

  it('schwab: emits level 1 and book msgs for an OCC symbol and an equity book', async () => {
    const credentials = await startSchwab();
    const provider = { id: 'sw', type: 'market-provider', name: '', provider: 'schwab', endpoint: schwab!.streamerUrl, restEndpoint: schwab!.restUrl, feed: '', options: {} };
    await helper.load(allNodes, [tab, provider, streamIn('s1', 'sw', 'SPY270115C00600000, MSFT', ['quote', 'book'], { depth: 2 }), sink('s1-out'), sink('s1-status')] as never, { sw: credentials } as never);
    watchNodes('s1', 'sw');
    await waitFor(() => schwab!.subscriptions().length === 4, 'subscribed upstream');
    assert.deepEqual(schwab!.subscriptions(), ['LEVELONE_EQUITIES:MSFT', `LEVELONE_OPTIONS:${OCC}`, 'NASDAQ_BOOK:MSFT', `OPTIONS_BOOK:${OCC}`]);
    schwab!.publish('LEVELONE_OPTIONS', OCC, { '2': 41.2, '3': 41.6, '16': 12, '17': 8, '38': 1795186800000 });
    schwab!.publish('OPTIONS_BOOK', OCC, { '1': 1795186800001, '2': [{ '0': 41.2, '1': 12, '2': 1, '3': [] }, { '0': 41.1, '1': 30, '2': 2, '3': [] }, { '0': 41, '1': 5, '2': 1, '3': [] }], '3': [{ '0': 41.6, '1': 8, '2': 1, '3': [] }] });
    schwab!.publish('NASDAQ_BOOK', 'MSFT', { '1': 1795186800002, '2': [{ '0': 421.1, '1': 300, '2': 2, '3': [] }], '3': [{ '0': 421.2, '1': 100, '2': 1, '3': [] }] });
    const node = helper.getNode('s1');
    await waitFor(() => sentOn(node, 0).length === 3, 'three msgs');
    const [quote, optionBook, equityBook] = sentOn(node, 0);
    assert.deepEqual([quote!.type, quote!.symbol, quote!.bid, quote!.askSize], ['quote', OCC, 41.2, 8]);
    assert.deepEqual([optionBook!.type, optionBook!.symbol, optionBook!.bids, optionBook!.asks, optionBook!.depth], ['book', OCC, [[41.2, 12], [41.1, 30]], [[41.6, 8]], 2]);
    assert.deepEqual((optionBook!.option as { strike: number }).strike, 600);
    assert.deepEqual([equityBook!.symbol, equityBook!.bids, equityBook!.ts], ['MSFT', [[421.1, 300]], 1795186800002]);
  });

  it('schwab: the config dialog\'s status endpoint shows the refresh token\'s days left, never a credential', async () => {
    const credentials = await startSchwab();
    const issuedAt = new Date(Date.now() - 2 * 86_400_000 - 3_600_000).toISOString();
    const provider = { id: 'sw', type: 'market-provider', name: '', provider: 'schwab', endpoint: '', restEndpoint: schwab!.restUrl, feed: '', options: { refreshTokenIssuedAt: issuedAt } };
    await helper.load(allNodes, [tab, provider, streamIn('s1', 'sw', 'MSFT', ['quote']), sink('s1-out'), sink('s1-status')] as never, { sw: credentials } as never);
    watchNodes('s1', 'sw');
    await waitFor(() => schwab!.subscriptions().length === 1, 'streaming');
    const res = await helper.request().get('/market-stream/provider-status/sw').expect(200);
    watch.capture(res.text);
    assert.equal(res.body.state, 'connected');
    assert.deepEqual({ ...res.body.refreshToken, expiresAt: undefined }, { expiresAt: undefined, daysLeft: 4, hoursLeft: 22, expired: false, issuedAtSet: true });
    assert.equal(res.body.refreshToken.expiresAt, new Date(Date.parse(issuedAt) + 7 * 86_400_000).toISOString());
    await helper.request().get('/market-stream/provider-status/nope').expect(404);
  });

  it('tastytrade: rejected credentials turn the node red with the provider\'s reason, catchable', async () => {
    await startTastytrade();
    const wrong = { clientSecret: freshToken('tt-wrong-secret'), refreshToken: freshToken('tt-wrong-refresh') };
    watch.secret(wrong.clientSecret, wrong.refreshToken);
    const provider = { id: 'tt', type: 'market-provider', name: '', provider: 'tastytrade', endpoint: '', restEndpoint: tasty!.url, feed: 'live', options: {} };
    const flow: Flow = [tab, provider, streamIn('s1', 'tt', 'SPY', ['quote']), sink('s1-out'), sink('s1-status'), { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['c1-out']] }, sink('c1-out')];
    await helper.load(allNodes, flow as never, { tt: wrong } as never);
    watchNodes('s1', 'tt');
    const node = helper.getNode('s1');
    await waitFor(() => callsOf(node, 'error').length > 0, 'node.error');
    const [message, msg] = callsOf(node, 'error')[0]! as [string, { payload: Record<string, unknown> }];
    assert.match(message, /tastytrade refused the OAuth token request \(invalid_grant: Invalid client secret or refresh token\)/);
    assert.deepEqual([msg.payload.code, msg.payload.reason], ['AUTH', 'invalid_grant: Invalid client secret or refresh token']);
    await waitFor(() => (callsOf(node, 'status').at(-1)?.[0] as { text?: string } | undefined)?.text === 'market-stream-in.status.authFailed', 'red status');
    assert.deepEqual(callsOf(node, 'status').at(-1)![0], { fill: 'red', shape: 'dot', text: 'market-stream-in.status.authFailed' });
    assert.equal(sentOn(node, 1).filter((p) => p.state === 'error').length >= 1, true);
  });

  it('loads the "tastytrade option chain greeks" example with its endpoints pointed at the fakes, and streams greeks', async () => {
    const text = fs.readFileSync(path.join(EXAMPLES, 'tastytrade-option-chain-greeks.json'), 'utf8');
    watch.capture(text);
    const flow = JSON.parse(text) as Flow;
    const provider = flow.find((n) => n.type === 'market-provider')!;
    assert.deepEqual([provider.endpoint, provider.restEndpoint, 'credentials' in provider], ['', '', false], 'the export keeps the real default endpoints and no credentials');
    const credentials = await startTastytrade();
    Object.assign(provider, { endpoint: dxlink!.url, restEndpoint: tasty!.url });
    const stream = flow.find((n) => n.type === 'market-stream-in')!;
    // The helper runtime has no debug node: catch what the switch sends instead.
    const sw = flow.find((n) => n.type === 'switch')!;
    const kept = flow.filter((n) => n.type !== 'debug' && n.type !== 'comment').map((n) => (n.type === 'switch' ? { ...n, wires: [['greeks-out'], ['theo-out'], []] } : n.type === 'market-stream-in' ? { ...n, wires: [[sw.id], []] } : n));
    const z = stream.z as string;
    await helper.load([...allNodes, switchNode], [...kept, { id: 'greeks-out', type: 'helper', z }, { id: 'theo-out', type: 'helper', z }] as never, { [provider.id as string]: credentials } as never);
    watchNodes(stream.id as string, provider.id as string);
    await waitFor(() => dxlink!.subscriptions().filter((s) => s.startsWith('Greeks:')).length === 4, 'four contracts');
    const greeks: NodeMessage[] = [];
    helper.getNode('greeks-out').on('input', (msg: NodeMessage) => greeks.push(msg));
    dxlink!.publish([{ eventType: 'Greeks', eventSymbol: '.SPY270115P550', time: 1795186800000, volatility: 0.21, delta: -0.2, gamma: 0.002, theta: -0.05, vega: 0.9, rho: -0.3 }]);
    await waitFor(() => greeks.length === 1, 'greeks through the switch');
    assert.equal(greeks[0]!.topic, 'SPY   270115P00550000');
    assert.equal((greeks[0]!.payload as { iv: number }).iv, 0.21);
  });

  it('loads the "Schwab options level 1 + book" example with its endpoints pointed at the fakes, and streams level 1 and books', async () => {
    const text = fs.readFileSync(path.join(EXAMPLES, 'schwab-options-level1-and-book.json'), 'utf8');
    watch.capture(text);
    const flow = JSON.parse(text) as Flow;
    const provider = flow.find((n) => n.type === 'market-provider')!;
    assert.deepEqual([provider.endpoint, provider.restEndpoint, 'credentials' in provider], ['', '', false], 'the export keeps the real default endpoints and no credentials');
    const credentials = await startSchwab();
    Object.assign(provider, { restEndpoint: schwab!.restUrl });
    // The helper runtime has no debug node: helper nodes take the msgs instead.
    const z = flow.find((n) => n.type === 'market-stream-in')!.z as string;
    const kept = flow.filter((n) => n.type !== 'debug' && n.type !== 'comment').map((n) => (n.type === 'market-stream-in' ? { ...n, wires: [[`${String(n.id)}-out`], [`${String(n.id)}-out`]] } : n));
    const sinks = kept.filter((n) => n.type === 'market-stream-in').map((n) => ({ id: `${String(n.id)}-out`, type: 'helper', z }));
    await helper.load(allNodes, [...kept, ...sinks] as never, { [provider.id as string]: credentials } as never);
    const streams = flow.filter((n) => n.type === 'market-stream-in').map((n) => n.id as string);
    watchNodes(...streams, provider.id as string);
    await waitFor(() => schwab!.subscriptions().length === 4, 'level 1 and books subscribed');
    assert.deepEqual(schwab!.subscriptions(), [`LEVELONE_OPTIONS:${OCC}`, 'LEVELONE_OPTIONS:SPY   270115P00600000', 'NASDAQ_BOOK:AAPL', `OPTIONS_BOOK:${OCC}`]);
    assert.equal(schwab!.connections, 1, 'both nodes share one streamer connection');
    schwab!.publish('LEVELONE_OPTIONS', OCC, { '2': 41.2, '3': 41.6, '16': 12, '17': 8, '28': 0.57, '10': 18.5 });
    schwab!.publish('NASDAQ_BOOK', 'AAPL', { '1': 1795186800002, '2': [{ '0': 230.1, '1': 300, '2': 2, '3': [] }], '3': [{ '0': 230.2, '1': 100, '2': 1, '3': [] }] });
    const [level1, books] = streams.map((id) => helper.getNode(id));
    await waitFor(() => sentOn(level1!, 0).length >= 2 && sentOn(books!, 0).length === 1, 'msgs from both nodes');
    assert.deepEqual(sentOn(level1!, 0).map((p) => p.type).sort(), ['greeks', 'quote']);
    assert.equal((sentOn(level1!, 0).find((p) => p.type === 'greeks') as { iv: number }).iv, 0.185);
    assert.deepEqual(sentOn(books!, 0)[0]!.bids, [[230.1, 300]]);
  });

  it('closes every socket and timer of the broker providers when the flow stops', async () => {
    await sleep(1);
    const before = activeHandles();
    const credentials = await startSchwab();
    const tt = await startTastytrade();
    const flow: Flow = [
      tab,
      { id: 'sw', type: 'market-provider', name: '', provider: 'schwab', endpoint: '', restEndpoint: schwab!.restUrl, feed: '', options: {} },
      { id: 'tt', type: 'market-provider', name: '', provider: 'tastytrade', endpoint: '', restEndpoint: tasty!.url, feed: '', options: {} },
      streamIn('a', 'sw', 'MSFT', ['quote']), streamIn('b', 'tt', 'SPY', ['quote']), sink('a-out'), sink('a-status'), sink('b-out'), sink('b-status'),
    ];
    await helper.load(allNodes, flow as never, { sw: credentials, tt } as never);
    watchNodes('a', 'b', 'sw', 'tt');
    await waitFor(() => schwab!.subscriptions().length === 1 && dxlink!.subscriptions().length === 1, 'both streaming');
    await helper.unload();
    await waitFor(() => schwab!.openSockets === 0 && dxlink!.openSockets === 0, 'the fakes see the sockets close');
    await dxlink!.close();
    await tasty!.close();
    await schwab!.close();
    dxlink = null;
    tasty = null;
    schwab = null;
    await sleep(50);
    const after = activeHandles();
    for (const kind of ['Timeout', 'TCPSocketWrap', 'TCPServerWrap']) assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`);
  });

  it('shows no credential or token in any status, msg, error, log line or example export captured above', () => {
    assert.ok(watch.capturedCount > 50);
    watch.assertClean();
  });
});
