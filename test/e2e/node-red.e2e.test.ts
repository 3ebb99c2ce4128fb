/**
 * End to end: the packed package installed into a real Node-RED 4 (as `npm pack` ships it),
 * the simulator demo flow deployed, checked through the same HTTP and comms APIs the editor
 * uses. Everything stays on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, spawnNodeRed, waitForPack, watchComms, writeSettings, type CommsWatch, type NodeRedProcess } from '../helpers/node-red-process';
import { resolveFromNodeRed } from '../helpers/runtime';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..', '..');
// Inside the repository, so the unpacked package resolves `ws` from the repository's node_modules
// the way an installed package resolves it from its own; one folder per run, so runs never share.
const work = path.join(root, '.e2e', String(process.pid));

describe('end to end: packed package in a real Node-RED', function () {
  this.timeout(90_000);
  let nr: NodeRedProcess | null = null;
  let comms: CommsWatch | null = null;

  before(async () => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // `npm test` has just built dist/; packing must not rebuild it under other running tests.
    const tarball = execFileSync(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const userDir = path.join(work, 'user');
    const target = path.join(userDir, 'node_modules', '@market-stream', 'node-red');
    fs.mkdirSync(target, { recursive: true });
    execFileSync('tar', ['xzf', path.join(work, tarball), '-C', target, '--strip-components', '1']);
    fs.copyFileSync(path.join(root, 'examples', 'simulator-live-quotes-and-trades.json'), path.join(userDir, 'flows.json'));
    const port = await freePort();
    const settings = writeSettings(userDir, port);
    nr = spawnNodeRed(process.execPath, [resolveFromNodeRed('node-red/red.js'), '--userDir', userDir, '--settings', settings], port);
  });

  after(async () => {
    comms?.close();
    await nr?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists every node type of the package in GET /nodes within 20 s', async () => {
    const declared = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);
    assert.ok(declared.includes('market-provider') && declared.includes('market-stream-in'));
    const types = await waitForPack(nr!, 20_000);
    assert.deepEqual(types.sort(), declared.sort());
  });

  it('puts at least 10 msgs/s from the demo flow into the debug sidebar', async () => {
    comms = await watchComms(nr!);
    await waitFor(() => comms!.debug.length > 0, 'first debug msg', 15_000);
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const inWindow = comms.debug.filter((d) => d.at >= start).length;
    const rate = inWindow / ((Date.now() - start) / 1000);
    assert.ok(rate >= 10, `${rate.toFixed(1)} debug msgs/s`);
    const event = comms.debug.map((d) => d.data).find((d) => d.topic === 'BTC-USD' || d.topic === 'AAPL');
    assert.ok(event && event.format === 'Object', 'normalized events as objects');
    const payload = JSON.parse(event.msg!) as { type: string; provider: string };
    assert.equal(payload.provider, 'sim');
  });

  it('shows a translated status with the msg rate on the stream-in node', async () => {
    await waitFor(() => (comms!.status.get('a1f0c0de00000003') ?? []).some((s) => /msg\/s$/.test(s.text ?? '')), 'a live status', 10_000);
    const live = comms!.status.get('a1f0c0de00000003')!.filter((s) => /msg\/s$/.test(s.text ?? '')).at(-1)!;
    assert.equal(live.fill, 'green');
    assert.equal(live.shape, 'dot');
    assert.ok(Number(live.text!.split(' ')[0]) > 5, live.text);
  });

  it('serves the editor what it needs: provider list, help, labels and the example flows', async () => {
    const base = nr!.base;
    const providers = (await (await fetch(`${base}/market-stream/providers`)).json()) as Array<{ id: string; status: string; fields: unknown }>;
    assert.equal(providers[0]!.id, 'sim');
    assert.equal(providers[0]!.status, 'available');
    assert.ok(providers.some((p) => p.id === 'binance'));
    const html = await (await fetch(`${base}/nodes`, { headers: { Accept: 'text/html' } })).text();
    assert.match(html, /data-help-name="market-stream-in"/);
    assert.match(html, /data-template-name="market-provider"/);
    assert.match(html, /icon: "market-stream\.svg"/);
    const labels = (await (await fetch(`${base}/locales/@market-stream/node-red/market-stream-in?lng=en-US`)).json()) as Record<string, { status: Record<string, string> }>;
    assert.equal(labels['market-stream-in']!.status.live, '__rate__ msg/s');
    const icon = await fetch(`${base}/icons/@market-stream/node-red/market-stream.svg`);
    assert.equal(icon.status, 200);
    const examples = (await (await fetch(`${base}/library/examples/flows/`)).json()) as unknown;
    assert.ok(JSON.stringify(examples).includes('@market-stream/node-red'), JSON.stringify(examples).slice(0, 300));
    const demo = (await (await fetch(`${base}/library/examples/flows/@market-stream/node-red/simulator-live-quotes-and-trades`)).json()) as Array<{ type: string }>;
    assert.ok(demo.some((node) => node.type === 'market-stream-in'));
  });

  it('translates configuration errors for the user', async () => {
    const flows = [
      { id: 'e2e0000000000001', type: 'tab', label: 'errors' },
      { id: 'e2e0000000000002', type: 'market-provider', name: '', provider: 'nasdaq-magic', options: {} },
      { id: 'e2e0000000000003', type: 'market-stream-in', z: 'e2e0000000000001', provider: 'e2e0000000000002', symbols: 'AAPL', channels: ['quote'], wires: [[], []] },
    ];
    const res = await fetch(`${nr!.base}/flows`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
    assert.equal(res.status, 204);
    await waitFor(() => (comms!.status.get('e2e0000000000003') ?? []).length > 0, 'status of the broken node', 10_000);
    assert.deepEqual(comms!.status.get('e2e0000000000003')!.at(-1), { fill: 'red', shape: 'dot', text: 'config error' });
    await waitFor(() => /Unknown provider "nasdaq-magic": pick one from the list/.test(nr!.log()), 'translated error in the log', 5000);
    assert.equal(nr!.child.exitCode, null, 'Node-RED keeps running');
  });
});
