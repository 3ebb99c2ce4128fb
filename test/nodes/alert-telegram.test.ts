/**
 * The "whale alert → Telegram" example, run for real: the simulator, flow classify, alert, and
 * the core change + http request nodes POSTing to a local stand-in of the Bot API (its base URL
 * from TELEGRAM_API_URL, the token from TELEGRAM_BOT_TOKEN, as the example's info says).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { callsOf, collect, helper } from '../helpers/node-red';
import { resolveFromNodeRed } from '../helpers/runtime';
import { waitFor } from '../helpers/wait';
import { everyNode } from './analytics-nodes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const changeNode = require(resolveFromNodeRed('@node-red/nodes/core/function/15-change.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const httpRequestNode = require(resolveFromNodeRed('@node-red/nodes/core/network/21-httprequest.js'));

type FlowNode = Record<string, unknown> & { id: string; type: string };
interface BotCall {
  method: string;
  path: string;
  contentType: string;
  body: Record<string, unknown>;
}

const TOKEN = '123456789:AAE-test-token-never-logged';
const CHAT = '-1001234567';
const examplePath = path.resolve(__dirname, '..', '..', '..', 'examples', 'whale-alert-to-telegram.json');

describe('example: whale alert → Telegram (core http request → a local Bot API stand-in)', function () {
  this.timeout(30_000);
  let server: http.Server;
  const calls: BotCall[] = [];
  const saved = { token: process.env['TELEGRAM_BOT_TOKEN'], api: process.env['TELEGRAM_API_URL'] };

  before(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          // stays empty: the assertions say what was wrong
        }
        calls.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
        const good = req.method === 'POST' && req.url === `/bot${TOKEN}/sendMessage` && typeof body['text'] === 'string' && body['chat_id'] === CHAT;
        res.writeHead(good ? 200 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(good ? { ok: true, result: { message_id: calls.length } } : { ok: false, error_code: 400, description: 'Bad Request' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env['TELEGRAM_BOT_TOKEN'] = TOKEN;
    process.env['TELEGRAM_API_URL'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const [name, value] of [['TELEGRAM_BOT_TOKEN', saved.token], ['TELEGRAM_API_URL', saved.api]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('POSTs a whale alert as JSON (chat_id, text, parse_mode) to /bot<token>/sendMessage; the token is in no log, status, error or warning', async () => {
    const example = JSON.parse(fs.readFileSync(examplePath, 'utf8')) as FlowNode[];
    assert.ok(!JSON.stringify(example).includes('AAE'), 'no token in the flow');
    const flow = example
      .filter((n) => n.type !== 'comment' && n.type !== 'debug')
      .map((n) => {
        if (n.type === 'market-provider') return { ...n, options: { seed: 3, rate: 'max' } };
        if (n.type === 'market-alert') return { ...n, chatId: CHAT };
        if (n.type === 'change' && n.id === 'a1e47c0de100000a') return { ...n, wires: [['answers']] };
        return n;
      });
    const tab = flow.find((n) => n.type === 'tab')!;
    await helper.load([...everyNode, changeNode, httpRequestNode], [...flow, { id: 'answers', type: 'helper', z: tab.id }] as never);
    const answers = collect(helper.getNode('answers'));
    await waitFor(() => answers.msgs.length >= 1, 'the Bot API answer', 20_000);
    const shown = flow
      .filter((n) => n.type !== 'tab' && n.type !== 'market-provider')
      .map((n) => {
        const node = helper.getNode(n.id);
        return { type: n.type, texts: (['status', 'error', 'warn'] as const).map((method) => [method, JSON.stringify(callsOf(node, method))] as const) };
      });
    await helper.unload();

    const call = calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.path, `/bot${TOKEN}/sendMessage`);
    assert.match(call.contentType, /^application\/json/);
    assert.deepEqual(Object.keys(call.body).sort(), ['chat_id', 'parse_mode', 'text']);
    assert.equal(call.body['chat_id'], CHAT);
    assert.equal(call.body['parse_mode'], 'HTML');
    assert.match(String(call.body['text']), /^<b>Whale (SWEEP|SPLIT|BLOCK|SINGLE) SPY +\d{6}[CP]\d{8}: \d+ contracts @ [\d.]+ premium \$[\d,]+<\/b>/);
    assert.equal(answers.msgs[0]?.statusCode, 200);
    assert.deepEqual((answers.msgs[0]?.payload as { ok?: boolean }).ok, true);
    assert.ok(!JSON.stringify(answers.msgs[0]).includes(TOKEN), 'the msg after the request no longer carries the token (msg.url)');

    // Everything Node-RED logged, and every status/error/warn of the flow's nodes.
    const logged = JSON.stringify(helper.log().args);
    assert.ok(logged.length > 0);
    assert.ok(!logged.includes(TOKEN), 'the token is in Node-RED\'s log');
    assert.equal(shown.length, 6);
    for (const { type, texts } of shown) for (const [method, text] of texts) assert.ok(!text.includes(TOKEN), `${type} ${method} shows the token`);
  });
});
