import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFailure, requestJson } from '../../src/transport/http-json';
import { waitFor } from '../helpers/wait';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** A 127.0.0.1 server that counts the sockets open to it. */
async function startServer(handler: Handler): Promise<{ url: string; open: () => number; close: () => Promise<void> }> {
  let open = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.keepAliveTimeout = 60_000; // the server would keep a socket: only the client can close it
  server.on('connection', (socket) => {
    open += 1;
    socket.on('close', () => (open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => open,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('http-json: the one HTTP client', () => {
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('sends the body with its length and Accept: application/json, answers status and JSON, and keeps no socket open after the answer', async () => {
    server = await startServer((req, body, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, accept: req.headers.accept, length: req.headers['content-length'], body: JSON.parse(body) as unknown }));
    });
    const answer = await requestJson(`${server.url}/x`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"grant":"é"}' });
    assert.deepEqual(answer, { status: 201, body: { method: 'POST', accept: 'application/json', length: '14', body: { grant: 'é' } } });
    await waitFor(() => server!.open() === 0, 'the socket closed right after the answer', 1_000);
  });

  it('answers a body that is not JSON as undefined, with its status', async () => {
    server = await startServer((_req, _body, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    assert.deepEqual(await requestJson(server.url, { method: 'GET', headers: {} }), { status: 502, body: undefined });
  });

  it('gives up on a server that never answers after the timeout, and on abort at once; neither leaves a socket', async () => {
    server = await startServer(() => undefined);
    const started = Date.now();
    await assert.rejects(requestJson(server.url, { method: 'GET', headers: {} }, { timeoutMs: 200 }), (err: unknown) => err instanceof HttpFailure && err.reason === 'no answer within 0.2 s' && !err.badUrl);
    assert.ok(Date.now() - started < 2_000);
    await waitFor(() => server!.open() === 0, 'the timed-out socket closed', 1_000);

    const aborter = new AbortController();
    const call = requestJson(server.url, { method: 'GET', headers: {} }, { signal: aborter.signal });
    await waitFor(() => server!.open() === 1, 'the call reached the server', 1_000);
    aborter.abort();
    await assert.rejects(call, (err: unknown) => err instanceof HttpFailure && err.reason === 'aborted');
    await waitFor(() => server!.open() === 0, 'the aborted socket closed', 1_000);
  });

  it('tells an unusable URL (configuration) from a refused connection (network)', async () => {
    await assert.rejects(requestJson('not a url', { method: 'GET', headers: {} }), (err: unknown) => err instanceof HttpFailure && err.badUrl);
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    await assert.rejects(requestJson(url, { method: 'GET', headers: {} }), (err: unknown) => err instanceof HttpFailure && !err.badUrl && /ECONNREFUSED/.test(err.reason));
  });
});
