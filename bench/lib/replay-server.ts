/**
 * The replay server: a Binance Spot market-data server on 127.0.0.1 (its own process, so it
 * neither shares the client's CPU nor becomes the bottleneck) that streams what the runner
 * programs, in Binance's format (docs/protocols/binance.md):
 *
 * - WebSocket `/ws`, `/ws/<anything>` (raw payloads) and `/stream` (combined `{stream, data}`),
 *   `timeUnit=MICROSECOND`; `SUBSCRIBE`/`UNSUBSCRIBE` answered `{"result":null,"id":N}`; a
 *   protocol ping every 20 s;
 * - a subscription to a programmed stream starts its replay on that connection: pre-built
 *   frames as fast as the client reads them (written while `bufferedAmount` stays under 1 MiB,
 *   then resumed from the write callback), or a steady rate with each frame stamped with its
 *   send time;
 * - REST `/api/v3/depth`: the snapshot whose `lastUpdateId` lines up with the diff stream. The
 *   depth replay sends a few diffs, waits for the snapshot request, answers it, then streams
 *   the rest (so the client's buffer-then-sync procedure runs as on Binance);
 *   `/api/v3/exchangeInfo` lists BTCUSDT as TRADING.
 *
 * Run by the benchmark runner with an IPC channel: node dist/bench/lib/replay-server.js
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  DEPTH_STREAM,
  DepthGenerator,
  SYMBOL,
  T0,
  TRADE_STREAM,
  TradeGenerator,
  combined,
  depthPayload,
  programInfo,
  depthScript,
  tradePayload,
  type DepthScript,
  type RawSnapshot,
} from './frames';
import type { FromServer, ProgramInfo, ServerReport, StreamKind, StreamProgram, ToServer } from './protocol';

const HIGH_WATER = 1 << 20;
const PING_EVERY_MS = 20_000;
const TEXT = { binary: false };

const STREAM_OF: Record<StreamKind, string> = { trade: TRADE_STREAM, depth: DEPTH_STREAM };

interface Format {
  combined: boolean;
  microseconds: boolean;
}

/** Pre-built frames of one program, per wire format, built on first use. */
class PrebuiltFrames {
  private readonly cache = new Map<string, Buffer[]>();
  constructor(
    readonly program: StreamProgram,
    private readonly depth: DepthScript | null,
  ) {}

  get(format: Format): Buffer[] {
    const key = `${format.combined}|${format.microseconds}`;
    let frames = this.cache.get(key);
    if (!frames) {
      frames = this.build(format);
      this.cache.set(key, frames);
    }
    return frames;
  }

  private build(format: Format): Buffer[] {
    const unit = format.microseconds ? 1000 : 1;
    const stream = STREAM_OF[this.program.kind];
    const wrap = (payload: string): Buffer => Buffer.from(format.combined ? combined(stream, payload) : payload);
    if (this.depth) return this.depth.diffs.map((diff) => wrap(depthPayload(diff, diff.E * unit)));
    const trades = new TradeGenerator();
    const frames: Buffer[] = new Array(this.program.count);
    for (let i = 0; i < this.program.count; i++) frames[i] = wrap(tradePayload(trades.next(i), (T0 + i) * unit));
    return frames;
  }
}

/** What one connection is being sent on one stream. */
class Replay {
  sent = 0;
  waitingForSnapshot = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly trades = new TradeGenerator();
  private readonly liveDepth: DepthGenerator | null;
  private startedAt = 0;

  constructor(
    private readonly connection: Connection,
    readonly program: StreamProgram,
    private readonly frames: PrebuiltFrames | null,
    private readonly script: DepthScript | null,
  ) {
    this.liveDepth = program.kind === 'depth' && !script ? new DepthGenerator() : null;
  }

  start(): void {
    if (this.program.rate > 0) {
      this.startedAt = performance.now();
      this.timer = setInterval(() => this.paced(), 1);
      return;
    }
    if (this.script) {
      // Binance's order: diffs flow, the client buffers them, fetches the snapshot, syncs.
      const frames = (this.frames as PrebuiltFrames).get(this.connection.format);
      const before = Math.min(this.script.snapshotAfter, frames.length);
      for (; this.sent < before; this.sent++) this.connection.socket.send(frames[this.sent] as Buffer, TEXT);
      this.waitingForSnapshot = true;
      return;
    }
    this.pump();
  }

  /** The REST snapshot was answered: stream the rest. */
  resume(): void {
    this.waitingForSnapshot = false;
    if (this.program.rate === 0) setImmediate(() => this.pump());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** As fast as the client reads: write until 1 MiB waits in the socket, then continue from the write callback. */
  private readonly pump = (): void => {
    const socket = this.connection.socket;
    if (this.stopped || this.waitingForSnapshot || socket.readyState !== socket.OPEN) return;
    const frames = (this.frames as PrebuiltFrames).get(this.connection.format);
    const count = frames.length;
    while (this.sent < count) {
      const frame = frames[this.sent++] as Buffer;
      if (socket.bufferedAmount > HIGH_WATER) {
        socket.send(frame, TEXT, this.pump);
        return;
      }
      socket.send(frame, TEXT);
    }
  };

  /** A steady rate: every millisecond, the frames now due, each stamped with its own send time. */
  private paced(): void {
    const socket = this.connection.socket;
    if (this.stopped || this.waitingForSnapshot || socket.readyState !== socket.OPEN) return;
    const due = Math.min(this.program.count, Math.floor(((performance.now() - this.startedAt) * this.program.rate) / 1000));
    const format = this.connection.format;
    const stream = STREAM_OF[this.program.kind];
    while (this.sent < due) {
      const sentAt = performance.timeOrigin + performance.now();
      const time = format.microseconds ? Math.round(sentAt * 1000) : Math.floor(sentAt);
      const extra = this.program.stampSendTime ? `,"L":${sentAt}` : '';
      let payload: string;
      if (this.program.kind === 'trade') payload = tradePayload(this.trades.next(this.sent), time, extra);
      else {
        const diff = this.liveDepth ? this.liveDepth.next() : (this.script as DepthScript).diffs[this.sent];
        if (!diff) break;
        payload = depthPayload(diff, time);
      }
      socket.send(format.combined ? combined(stream, payload) : payload);
      this.sent += 1;
    }
    if (this.sent >= this.program.count) this.stop();
  }

  /** Book now, for an on-the-fly depth stream (its lastUpdateId is the last diff sent). */
  liveSnapshot(): RawSnapshot | null {
    return this.liveDepth ? this.liveDepth.snapshot() : null;
  }
}

class Connection {
  readonly replays = new Map<string, Replay>();
  constructor(
    readonly socket: WebSocket,
    readonly format: Format,
  ) {}
}

class ReplayServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private programs = new Map<string, { program: StreamProgram; frames: PrebuiltFrames | null; script: DepthScript | null }>();
  private report: ServerReport = emptyReport();

  constructor() {
    this.http = http.createServer((req, res) => this.rest(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!url.pathname.startsWith('/ws') && !url.pathname.startsWith('/stream')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url, req.socket.remoteAddress ?? '?'));
    });
  }

  program(programs: StreamProgram[]): ProgramInfo[] {
    for (const connection of this.connections) for (const replay of connection.replays.values()) replay.stop();
    this.programs = new Map();
    this.report = emptyReport();
    const infos: ProgramInfo[] = [];
    for (const program of programs) {
      const script = program.kind === 'depth' && Number.isFinite(program.count) ? depthScript(program.count) : null;
      const frames = Number.isFinite(program.count) && program.rate === 0 ? new PrebuiltFrames(program, script) : null;
      // Build the frames now (both formats a client may ask for), not while a client waits.
      if (frames) for (const combinedFormat of [false, true]) frames.get({ combined: combinedFormat, microseconds: false });
      this.programs.set(STREAM_OF[program.kind], { program, frames, script });
      infos.push(programInfo(program, script));
    }
    return infos;
  }

  takeReport(): ServerReport {
    for (const connection of this.connections) for (const [stream, replay] of connection.replays) this.report.sent[stream] = (this.report.sent[stream] ?? 0) + replay.sent;
    return this.report;
  }

  private accept(socket: WebSocket, url: URL, remote: string): void {
    const format: Format = { combined: url.pathname.startsWith('/stream'), microseconds: (url.searchParams.get('timeUnit') ?? '').toUpperCase() === 'MICROSECOND' };
    const connection = new Connection(socket, format);
    this.connections.add(connection);
    this.report.connections += 1;
    this.report.remotes.push(remote);
    const ping = setInterval(() => socket.ping(String(Date.now())), PING_EVERY_MS);
    socket.on('message', (data) => this.control(connection, data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(ping);
      for (const [stream, replay] of connection.replays) {
        replay.stop();
        this.report.sent[stream] = (this.report.sent[stream] ?? 0) + replay.sent;
      }
      connection.replays.clear();
      this.connections.delete(connection);
    });
  }

  private control(connection: Connection, text: string): void {
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      connection.socket.send('{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}');
      return;
    }
    const id = typeof request.id === 'number' ? request.id : null;
    const params = Array.isArray(request.params) ? request.params.filter((p): p is string => typeof p === 'string') : [];
    if (request.method !== 'SUBSCRIBE' && request.method !== 'UNSUBSCRIBE') {
      connection.socket.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: unsupported in this replay server' }, id }));
      return;
    }
    connection.socket.send(`{"result":null,"id":${String(id)}}`);
    for (const stream of params) {
      if (request.method === 'UNSUBSCRIBE') {
        connection.replays.get(stream)?.stop();
        continue;
      }
      const programmed = this.programs.get(stream);
      if (!programmed || connection.replays.has(stream)) continue;
      const replay = new Replay(connection, programmed.program, programmed.frames, programmed.script);
      connection.replays.set(stream, replay);
      replay.start();
    }
  }

  private rest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.report.restCalls.push(`${url.pathname}${url.search}`);
    const answer = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    const symbol = url.searchParams.get('symbol');
    if (url.pathname === '/api/v3/exchangeInfo' && symbol === SYMBOL) {
      answer(200, JSON.stringify({ timezone: 'UTC', serverTime: Date.now(), symbols: [{ symbol, status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT' }] }));
      return;
    }
    if (url.pathname !== '/api/v3/depth') {
      answer(404, '{"code":-1000,"msg":"Not found."}');
      return;
    }
    if (symbol !== SYMBOL) {
      answer(400, '{"code":-1121,"msg":"Invalid symbol."}');
      return;
    }
    const programmed = this.programs.get(DEPTH_STREAM);
    const replays = [...this.connections].map((c) => c.replays.get(DEPTH_STREAM)).filter((r): r is Replay => r !== undefined);
    const waiting = replays.find((replay) => replay.waitingForSnapshot);
    const live = replays.map((replay) => replay.liveSnapshot()).find((snapshot) => snapshot !== null);
    if (live) {
      answer(200, JSON.stringify(live));
      return;
    }
    if (!programmed?.script) {
      answer(400, '{"code":-1121,"msg":"Invalid symbol."}');
      return;
    }
    if (!waiting) this.report.unexpectedSnapshots += 1;
    res.on('finish', () => waiting?.resume());
    answer(200, JSON.stringify(programmed.script.snapshot));
  }
}

function emptyReport(): ServerReport {
  return { sent: {}, restCalls: [], unexpectedSnapshots: 0, connections: 0, remotes: [] };
}

function main(): void {
  const server = new ReplayServer();
  const send = (message: FromServer): void => {
    process.send?.(message);
  };
  process.on('message', (message: ToServer) => {
    if (message.type === 'program') {
      // Infinity crosses IPC as null.
      const programs = message.programs.map((p) => ({ ...p, count: (p.count as number | null) ?? Infinity }));
      send({ type: 'programmed', info: server.program(programs) });
    } else if (message.type === 'report') send({ type: 'report', report: server.takeReport() });
    else process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  server.http.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.http.address() as AddressInfo).port }));
}

main();
