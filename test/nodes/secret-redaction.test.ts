/**
 * Issue 17 item 1: a token server that repeats the request in its error text (a misbehaving
 * server, a proxy, a custom restEndpoint) hands the client secret and refresh token back — for
 * Schwab also the Basic header, base64(clientId:clientSecret). Over a run with retries, none of
 * them, raw or encoded, may reach Node-RED's log, a node status, a msg (output 2, a Catch
 * node) or the config dialog's status endpoint.
 */
import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import { FakeTastytradeRest } from '../fakes/tastytrade/rest';
import { FakeSchwab } from '../fakes/schwab/fake';
import { freshToken } from '../fakes/http-json';
import { waitFor } from '../helpers/wait';
import { allNodes, helper } from '../helpers/node-red';
import { requireFromNodeRed } from '../helpers/runtime';

const catchNode = requireFromNodeRed('@node-red/nodes/core/common/25-catch.js');
const tab = { id: 'f1', type: 'tab', label: 'test' };
const sink = (id: string) => ({ id, type: 'helper', z: 'f1' });

/** Characters that URL encoding, form encoding and JSON each write differently. */
const awkward = (prefix: string) => `${freshToken(prefix)}/+= &?"%é`;

/** Every form a request could have carried a secret in, computed here, not by the code under test. */
function encodedForms(secrets: Record<string, string>, basicPair?: [string, string]): Array<[string, string]> {
  const forms: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(secrets)) {
    forms.push([name, value], [`${name} URL-encoded`, encodeURIComponent(value)], [`${name} form-encoded`, new URLSearchParams({ v: value }).toString().slice(2)]);
    forms.push([`${name} base64`, Buffer.from(value).toString('base64')], [`${name} JSON-escaped`, JSON.stringify(value).slice(1, -1)]);
  }
  if (basicPair) forms.push(['Basic credentials', Buffer.from(`${basicPair[0]}:${basicPair[1]}`).toString('base64')]);
  return forms;
}

/** The args of every call of a method the helper spies on, for one node. */
function spied(node: Node, method: 'send' | 'status' | 'error' | 'warn' | 'log'): unknown[][] {
  const spy = (node as unknown as Record<string, { getCalls?: () => Array<{ thisValue: unknown; args: unknown[] }> }>)[method];
  return (spy?.getCalls?.() ?? []).filter((call) => call.thisValue === node).map((call) => call.args);
}

describe('secrets echoed by a token server never reach the log, a status, a msg or the admin API', function () {
  this.timeout(30_000);
  let closeFakes: () => Promise<void> = async () => undefined;

  afterEach(async () => {
    await helper.unload();
    await closeFakes();
    closeFakes = async () => undefined;
  });

  /** Runs the flow until `attempts` token requests were answered with the echo, and returns everything a user could see. */
  async function runEchoed(provider: Record<string, unknown>, credentials: Record<string, string>, tokenRequests: () => number, attempts: number, refused: boolean): Promise<string[]> {
    const flow = [
      tab,
      provider,
      { id: 's1', type: 'market-stream-in', z: 'f1', name: '', provider: provider.id, symbols: 'SPY', channels: ['quote'], interval: '1m', depth: 10, throttleMs: 0, staleAfter: 60, wires: [['s1-out'], ['s1-status']] },
      sink('s1-out'),
      sink('s1-status'),
      { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['c1-out']] },
      sink('c1-out'),
    ];
    await helper.load([...allNodes, catchNode], flow as never, { [String(provider.id)]: credentials } as never);
    const caught: NodeMessage[] = [];
    helper.getNode('c1-out').on('input', (msg: NodeMessage) => caught.push(msg));
    const admin: string[] = [];
    const stream = helper.getNode('s1');
    // One request more than the attempts checked, so the last checked one has been fully reported (node.error holds back repeats of one text).
    // A refusal is a catchable node.error; a failed request is a reconnecting status on output 2.
    const reported = refused ? () => spied(stream, 'error').length >= 1 && caught.length >= 1 : () => spied(stream, 'send').length >= attempts;
    await waitFor(() => tokenRequests() > attempts && reported(), `${attempts + 1} echoed token requests reported`, 20_000);
    admin.push((await helper.request().get(`/market-stream/provider-status/${String(provider.id)}`).expect(200)).text);
    const seen: string[] = [...admin, ...caught.map((msg) => JSON.stringify(msg))];
    for (const node of [stream, helper.getNode(String(provider.id))]) {
      for (const method of ['send', 'status', 'error', 'warn', 'log'] as const) for (const args of spied(node, method)) seen.push(JSON.stringify(args, (_key, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
    }
    const log = helper.log() as unknown as { getCalls?: () => Array<{ args: unknown[] }> } | undefined;
    for (const call of log?.getCalls?.() ?? []) seen.push(JSON.stringify(call.args));
    return seen;
  }

  function assertNoSecret(seen: readonly string[], forms: ReadonlyArray<[string, string]>, echoedPath: string): void {
    // The echo did reach the user (with the secrets cut out): a scan of texts without it would prove nothing.
    const echoed = seen.filter((text) => text.includes(`could not process POST ${echoedPath}`));
    assert.ok(echoed.length >= 3, `the echoed error reached the log, the node and the msgs (${echoed.length} texts)`);
    assert.ok(echoed.some((text) => text.includes('***')), 'the secrets were replaced by ***');
    for (const text of seen) for (const [name, form] of forms) assert.ok(!text.includes(form), `${name} appears in: ${text.slice(0, 300)}`);
  }

  for (const status of [502, 401]) {
    // 502 is retried with the network backoff (several attempts in a few seconds); 401 is a refusal, retried later.
    const attempts = status === 502 ? 3 : 0;

    it(`tastytrade: a token endpoint echoing the request with HTTP ${status}, over ${attempts + 1} attempt(s)`, async () => {
      const credentials = { clientSecret: awkward('tt-secret'), refreshToken: awkward('tt-refresh') };
      const dxlink = await FakeDxlinkServer.start();
      const rest = await FakeTastytradeRest.start({ ...credentials, dxlink });
      closeFakes = async () => { await rest.close(); await dxlink.close(); };
      rest.echoRequest = status;
      const provider = { id: 'tt', type: 'market-provider', name: '', provider: 'tastytrade', endpoint: '', restEndpoint: rest.url, feed: 'live', options: {} };
      const seen = await runEchoed(provider, credentials, () => rest.tokenRequests, attempts, status === 401);
      assertNoSecret(seen, encodedForms(credentials), '/oauth/token');
    });

    it(`schwab: a token endpoint echoing the request (Basic header, form body) with HTTP ${status}, over ${attempts + 1} attempt(s)`, async () => {
      const credentials = { clientId: awkward('schwab-key'), clientSecret: awkward('schwab-secret'), refreshToken: awkward('schwab-refresh') };
      const schwab = await FakeSchwab.start({ ...credentials, heartbeatMs: 0 });
      closeFakes = () => schwab.close();
      schwab.echoRequest = status;
      const provider = { id: 'sw', type: 'market-provider', name: '', provider: 'schwab', endpoint: '', restEndpoint: schwab.restUrl, feed: '', options: {} };
      const seen = await runEchoed(provider, credentials, () => schwab.tokenRequests, attempts, status === 401);
      assertNoSecret(seen, encodedForms(credentials, [credentials.clientId, credentials.clientSecret]), '/v1/oauth/token');
    });
  }
});
