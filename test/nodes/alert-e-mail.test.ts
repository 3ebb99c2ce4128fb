/**
 * The "whale alert → e-mail" example, run for real: Node-RED (test helper) with the example's
 * nodes, the simulator, and node-red-node-email sending to a real SMTP server (smtp-server) on
 * 127.0.0.1 at an ephemeral port.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { collect, helper } from '../helpers/node-red';
import { sleep, waitFor } from '../helpers/wait';
import { everyNode } from './analytics-nodes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const emailNode = require('node-red-node-email/61-email.js');

interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  body: string;
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

const examplePath = path.resolve(__dirname, '..', '..', '..', 'examples', 'whale-alert-to-e-mail.json');

/** A local SMTP server that keeps every mail, with its subject and plain body decoded enough to search. */
async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: Mail[]; logins: string[] }> {
  const mails: Mail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(String(auth.username));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...rest] = raw.split(/\r\n\r\n/);
        // Headers fold long lines; a quoted-printable body breaks lines with "=" and encodes "=" as =3D.
        const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
        const subject = /^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '';
        const body = rest.join('\r\n\r\n').replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        const to = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to, raw, subject, body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { server, port, mails, logins };
}

/** The example with its e-mail node pointed at the local server, the simulator fast, and the alert's cooldown as given. */
function exampleFlow(port: number, cooldownS: number): FlowNode[] {
  const flow = JSON.parse(fs.readFileSync(examplePath, 'utf8')) as FlowNode[];
  // The test helper runs only the node types it is given: the comment and debug nodes stay out.
  const shown = new Set(flow.filter((n) => n.type === 'comment' || n.type === 'debug').map((n) => n.id));
  return flow.filter((node) => !shown.has(node.id)).map((node) => {
    if (Array.isArray(node['wires'])) node = { ...node, wires: (node['wires'] as string[][]).map((out) => out.filter((id) => !shown.has(id))) };
    if (node.type === 'e-mail') return { ...node, server: '127.0.0.1', port: String(port), secure: false };
    if (node.type === 'market-provider') return { ...node, options: { seed: 3, rate: 'max' } };
    if (node.type === 'market-alert') return { ...node, cooldownS };
    return node;
  });
}

/** Premium as the alert writes it: whole dollars with thousands separators. */
const usd = (value: number) => `$${Math.round(value).toLocaleString('en-US')}`;

describe('example: whale alert → e-mail (node-red-node-email → a real local SMTP server)', function () {
  this.timeout(30_000);
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  beforeEach(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  });

  const load = (flow: FlowNode[]) => {
    const email = flow.find((n) => n.type === 'e-mail')!;
    return helper.load([...everyNode, emailNode], flow as never, { [email.id]: { userid: 'alerts@example.com', password: 'not-a-real-password' } } as never);
  };

  it('mails the first simulator whale print with its contract, size and premium in subject and body', async () => {
    const flow = exampleFlow(smtp.port, 60);
    // A helper node on flow classify's whale output: the prints the mail must describe.
    const classify = flow.find((n) => n.type === 'market-flow-classify')!;
    const wires = classify['wires'] as string[][];
    await load([...flow.map((n) => (n === classify ? { ...n, wires: [wires[0], [...wires[1]!, 'whales'], wires[2]] } : n)), { id: 'whales', type: 'helper', z: classify['z'] }]);
    const whales = collect(helper.getNode('whales'));
    await waitFor(() => smtp.mails.length >= 1, 'a mail in the SMTP server', 20_000);
    const mail = smtp.mails[0]!;
    const first = whales.msgs[0]?.payload as Record<string, unknown> | undefined;
    assert.ok(first, 'a whale print came from flow classify');
    assert.deepEqual(mail.to, ['trader@example.com']);
    assert.equal(mail.from, 'alerts@example.com');
    assert.deepEqual(smtp.logins, ['alerts@example.com']);
    for (const part of [String(first['symbol']), `${String(first['size'])} contracts`, usd(first['premiumUsd'] as number)]) {
      assert.ok(mail.subject.includes(part), `subject "${mail.subject}" lacks ${part}`);
      assert.ok(mail.body.includes(part), `body "${mail.body}" lacks ${part}`);
    }
    assert.ok(mail.subject.startsWith('Whale '), mail.subject);
  });

  it('sends exactly 1 mail and 1 summary mail for 100 identical whale alerts inside one cooldown', async () => {
    // The example without its stream: the 100 whales are injected into the alert node.
    const flow = exampleFlow(smtp.port, 2).filter((n) => n.type !== 'market-stream-in');
    await load(flow);
    const alert = helper.getNode(flow.find((n) => n.type === 'market-alert')!.id);
    const whale = { type: 'flow', provider: 'sim', symbol: 'SPY   261120C00600000', option: { underlying: 'SPY' }, ts: Date.now(), price: 4.2, size: 250, premiumUsd: 105_000, kind: 'SWEEP', whale: true };
    for (let i = 0; i < 100; i += 1) alert.receive({ payload: { ...whale } } as never);
    await waitFor(() => smtp.mails.length >= 2, 'the alert and the summary mail', 10_000);
    await sleep(2_500);
    assert.equal(smtp.mails.length, 2);
    assert.equal(smtp.mails[0]!.subject, 'Whale SWEEP SPY   261120C00600000: 250 contracts @ 4.2 premium $105,000');
    assert.ok(smtp.mails[0]!.body.includes('$105,000'));
    assert.equal(smtp.mails[1]!.subject, '99 more whale prints on SPY in the last 2 s');
  });
});
