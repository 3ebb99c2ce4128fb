/**
 * Local Schwab REST and streamer written from docs/protocols/schwab.md (§1–§3, §8), not
 * from our adapter.
 *
 * REST: POST /v1/oauth/token (Basic client credentials, form refresh grant, 30-minute access
 * tokens, 7-day refresh token) and GET /trader/v1/userPreference (streamerInfo pointing at the
 * fake streamer). Streamer: ADMIN LOGIN first (bare access token), one logged-in connection per
 * customer (a second gets code 12 and is closed), SUBS/ADD/UNSUBS/VIEW acks, `data` with numeric
 * string field keys — LEVELONE as changes after a full image, books and charts whole — and
 * `notify` heartbeats.
 *
 * Faults: expire or refuse tokens, refuse a login, drop sockets, stall, refuse subscriptions
 * past a symbol limit (code 19), and replay recorded frames.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { echoOf, freshToken, startJsonServer, type JsonReply, type JsonRequest } from '../http-json';
import { FaultHooks, sendThrough } from '../fault-hooks';

export interface FakeSchwabOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Time source for token lifetimes and frame timestamps (tests pass their fake clock). */
  now?: () => number;
  /** When the refresh token stops working, epoch ms on `now` (default: 7 days from start). */
  refreshTokenExpiresAt?: number;
  /** Real-time heartbeat period, ms (0 = only when heartbeat() is called). */
  heartbeatMs?: number;
}

type Fields = Record<string, unknown>;

interface StreamConnection {
  socket: WebSocket;
  loggedIn: boolean;
  subscriptions: Map<string, Set<string>>;
  /** service:key → the image this connection has been sent (LEVELONE change delivery). */
  images: Map<string, Fields>;
  received: Array<Record<string, unknown>>;
  stalled: boolean;
}

const LEVEL_ONE = new Set(['LEVELONE_EQUITIES', 'LEVELONE_OPTIONS', 'LEVELONE_FUTURES', 'LEVELONE_FUTURES_OPTIONS', 'LEVELONE_FOREX']);

export class FakeSchwab {
  private readonly options: Required<FakeSchwabOptions>;
  private readonly accessTokens = new Map<string, number>();
  private readonly wsHttp: http.Server;
  private readonly wss: WebSocketServer;
  private readonly live = new Set<StreamConnection>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closeRest: () => Promise<void> = async () => undefined;
  readonly customerId = freshToken('customer');
  readonly correlId = freshToken('correl');
  restUrl = '';
  tokenRequests = 0;
  preferenceRequests = 0;
  /** Sockets accepted, LOGINs answered, second logins refused with code 12. */
  connections = 0;
  logins = 0;
  duplicateLogins = 0;
  /** Every token this fake handed out, for the secret scan. */
  readonly issued: string[] = [];
  /** Commands received on every connection, in order. */
  readonly commands: Array<Array<Record<string, unknown>>> = [];
  /** When set, LOGIN is denied with this code and message (code 3 closes the socket). */
  denyLogin: { code: number; msg: string } | null = null;
  /** When set, the token request fails with this HTTP status and an error_description that repeats the request (a misbehaving server or proxy). */
  echoRequest: number | null = null;
  /** More keys than this on one service → code 19 REACHED_SYMBOL_LIMIT. */
  symbolLimit = Infinity;
  /** Drops on a client frame, rewritten outgoing frames (test/fakes/fault-hooks.ts). */
  readonly faults = new FaultHooks();

  private constructor(options: FakeSchwabOptions) {
    const now = options.now ?? Date.now;
    this.options = { now, refreshTokenExpiresAt: now() + 7 * 86_400_000, heartbeatMs: 10_000, ...options };
    this.wsHttp = http.createServer();
    this.wss = new WebSocketServer({ noServer: true });
    this.wsHttp.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/ws')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  static async start(options: FakeSchwabOptions): Promise<FakeSchwab> {
    const fake = new FakeSchwab(options);
    await new Promise<void>((resolve) => fake.wsHttp.listen(0, '127.0.0.1', resolve));
    const rest = await startJsonServer((request) => fake.handleRest(request));
    fake.restUrl = rest.url;
    fake.closeRest = rest.close;
    if (fake.options.heartbeatMs > 0) fake.heartbeatTimer = setInterval(() => fake.heartbeat(), fake.options.heartbeatMs);
    return fake;
  }

  get streamerUrl(): string {
    return `ws://127.0.0.1:${(this.wsHttp.address() as AddressInfo).port}/ws`;
  }

  get openSockets(): number {
    return this.live.size;
  }

  /** Keys subscribed per service on the logged-in connections, e.g. `LEVELONE_OPTIONS:GOOG  240517C00070000`. */
  subscriptions(): string[] {
    return [...this.live].filter((c) => c.loggedIn).flatMap((c) => [...c.subscriptions].flatMap(([service, keys]) => [...keys].map((key) => `${service}:${key}`))).sort();
  }

  /** The refresh token stops working now (as after its 7 days). */
  expireRefreshToken(): void {
    this.options.refreshTokenExpiresAt = this.options.now();
  }

  /** Sends one item to every connection subscribed to it: LEVELONE as changes against what that connection has, the rest whole. */
  publish(service: string, key: string, fields: Fields): number {
    let sent = 0;
    for (const connection of this.live) {
      if (!connection.loggedIn || !connection.subscriptions.get(service)?.has(key)) continue;
      let content: Fields = { key, ...fields };
      if (LEVEL_ONE.has(service)) {
        const imageKey = `${service}:${key}`;
        const previous = connection.images.get(imageKey);
        const image = { ...(previous ?? {}), ...fields };
        connection.images.set(imageKey, image);
        content = previous
          ? { key, ...Object.fromEntries(Object.entries(fields).filter(([k, v]) => previous[k] !== v)) }
          : { key, delayed: false, assetMainType: service === 'LEVELONE_OPTIONS' ? 'OPTION' : 'EQUITY', ...image };
        if (Object.keys(content).length === 1) continue;
      }
      this.send(connection, { data: [{ service, timestamp: this.options.now(), command: 'SUBS', content: [content] }] });
      sent += 1;
    }
    return sent;
  }

  /** Replays a recorded frame to every logged-in connection. */
  replay(frame: Record<string, unknown>): void {
    for (const connection of this.live) if (connection.loggedIn) this.send(connection, frame);
  }

  heartbeat(): void {
    for (const connection of this.live) if (connection.loggedIn) this.send(connection, { notify: [{ heartbeat: String(this.options.now()) }] });
  }

  /** The open sockets go silent (heartbeats included) but stay open; new connections work. */
  stallAll(): void {
    for (const connection of this.live) connection.stalled = true;
  }

  dropAll(): void {
    for (const connection of this.live) connection.socket.terminate();
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const connection of this.live) connection.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.wsHttp.close(() => resolve()));
    await this.closeRest();
  }

  private handleRest(request: JsonRequest): JsonReply {
    if (request.method === 'POST' && request.path === '/v1/oauth/token') return this.token(request);
    if (request.method === 'GET' && request.path === '/trader/v1/userPreference') return this.preferences(request);
    return { status: 404, body: { message: `no route ${request.method} ${request.path}` } };
  }

  private token(request: JsonRequest): JsonReply {
    this.tokenRequests += 1;
    if (this.echoRequest !== null) return { status: this.echoRequest, body: { error: 'invalid_request', error_description: echoOf(request) } };
    const basic = `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`;
    if (request.headers.authorization !== basic) return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { error: 'invalid_request', error_description: 'form body expected' } };
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type' } };
    if (form.get('refresh_token') !== this.options.refreshToken || this.options.now() >= this.options.refreshTokenExpiresAt) {
      // The shape Schwab answers with once a refresh token is dead (seen in SDK tests).
      return { status: 400, body: { error: 'refresh_token_authentication_error', error_description: 'Exception while authenticating refresh token [tokenDigest=******, Exception=Failed refresh token authentication [tokenDigest=******]]' } };
    }
    const accessToken = freshToken('schwab-access');
    const idToken = freshToken('schwab-id');
    this.issued.push(accessToken, idToken);
    this.accessTokens.set(accessToken, this.options.now() + 1_800_000);
    return { status: 200, body: { expires_in: 1800, token_type: 'Bearer', scope: 'api', refresh_token: this.options.refreshToken, access_token: accessToken, id_token: idToken } };
  }

  private preferences(request: JsonRequest): JsonReply {
    this.preferenceRequests += 1;
    const match = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    if (!match || !this.validAccessToken(match[1]!)) return { status: 401, body: { message: 'Unauthorized' } };
    return {
      status: 200,
      body: {
        accounts: [{ accountNumber: '12345678', primaryAccount: true, type: 'BROKERAGE', nickName: 'Individual', displayAcctId: '...678', autoPositionEffect: false, accountColor: 'Green' }],
        streamerInfo: [{ streamerSocketUrl: this.streamerUrl, schwabClientCustomerId: this.customerId, schwabClientCorrelId: this.correlId, schwabClientChannel: 'N9', schwabClientFunctionId: 'APIAPP' }],
        offers: [{ level2Permissions: true, mktDataPermission: 'NP' }],
      },
    };
  }

  private validAccessToken(token: string): boolean {
    const expiresAt = this.accessTokens.get(token);
    return expiresAt !== undefined && expiresAt > this.options.now();
  }

  private accept(socket: WebSocket): void {
    this.connections += 1;
    const received: Array<Record<string, unknown>> = [];
    this.commands.push(received);
    const connection: StreamConnection = { socket, loggedIn: false, subscriptions: new Map(), images: new Map(), received, stalled: false };
    this.live.add(connection);
    this.faults.accepted(socket);
    socket.on('message', (data) => {
      if (!this.faults.incoming(socket, data.toString())) this.handleFrame(connection, data.toString());
    });
    socket.on('close', () => this.live.delete(connection));
    socket.on('error', () => this.live.delete(connection));
  }

  private handleFrame(connection: StreamConnection, text: string): void {
    let frame: { requests?: unknown };
    try {
      frame = JSON.parse(text) as { requests?: unknown };
    } catch {
      this.respond(connection, { service: 'ADMIN', command: 'UNKNOWN', requestid: '0' }, 21, 'BAD_COMMAND_FORMAT');
      return;
    }
    const requests = Array.isArray(frame.requests) ? (frame.requests as Array<Record<string, unknown>>) : [frame as Record<string, unknown>];
    for (const request of requests) {
      connection.received.push(request);
      this.handleCommand(connection, request);
    }
  }

  private handleCommand(connection: StreamConnection, request: Record<string, unknown>): void {
    const service = String(request.service ?? '');
    const command = String(request.command ?? '');
    const parameters = (request.parameters ?? {}) as Record<string, unknown>;
    if (service === 'ADMIN' && command === 'LOGIN') {
      this.login(connection, request, parameters);
      return;
    }
    if (!connection.loggedIn) {
      this.respond(connection, request, 20, 'STREAM_CONN_NOT_FOUND');
      return;
    }
    if (request.SchwabClientCustomerId !== this.customerId || request.SchwabClientCorrelId !== this.correlId) {
      this.respond(connection, request, 20, 'STREAM_CONN_NOT_FOUND');
      return;
    }
    if (service === 'ADMIN' && command === 'LOGOUT') {
      this.respond(connection, request, 0, 'SUCCESS');
      connection.socket.close();
      return;
    }
    const keys = String(parameters.keys ?? '').split(',').map((key) => key).filter(Boolean);
    const current = connection.subscriptions.get(service) ?? new Set<string>();
    if (command === 'SUBS' || command === 'ADD') {
      if (typeof parameters.fields !== 'string') {
        this.respond(connection, request, 21, 'BAD_COMMAND_FORMAT: fields missing');
        return;
      }
      const next = command === 'SUBS' ? new Set(keys) : new Set([...current, ...keys]);
      if (next.size > this.symbolLimit) {
        this.respond(connection, request, 19, `REACHED_SYMBOL_LIMIT: ${this.symbolLimit} symbols`);
        return;
      }
      connection.subscriptions.set(service, next);
      if (command === 'SUBS') for (const imageKey of [...connection.images.keys()]) if (imageKey.startsWith(`${service}:`)) connection.images.delete(imageKey);
    } else if (command === 'UNSUBS') {
      for (const key of keys) {
        current.delete(key);
        connection.images.delete(`${service}:${key}`);
      }
      connection.subscriptions.set(service, current);
    } else if (command !== 'VIEW') {
      this.respond(connection, request, 21, `BAD_COMMAND_FORMAT: unknown command ${command}`);
      return;
    }
    this.respond(connection, request, 0, `${command} command succeeded`);
  }

  private login(connection: StreamConnection, request: Record<string, unknown>, parameters: Record<string, unknown>): void {
    this.logins += 1;
    const token = String(parameters.Authorization ?? '');
    if (this.denyLogin) {
      this.respond(connection, request, this.denyLogin.code, this.denyLogin.msg);
      if (this.denyLogin.code === 3) connection.socket.close();
      return;
    }
    if (!this.validAccessToken(token) || request.SchwabClientCustomerId !== this.customerId) {
      this.respond(connection, request, 3, 'Login Denied.: token is invalid or has expired.');
      connection.socket.close();
      return;
    }
    if ([...this.live].some((other) => other !== connection && other.loggedIn)) {
      this.duplicateLogins += 1;
      this.respond(connection, request, 12, 'CLOSE_CONNECTION: only one connection per user');
      connection.socket.close();
      return;
    }
    connection.loggedIn = true;
    this.respond(connection, request, 0, 'server=fake-1;status=NP');
  }

  private respond(connection: StreamConnection, request: Record<string, unknown>, code: number, msg: string): void {
    this.send(connection, {
      response: [{ service: request.service, command: request.command, requestid: String(request.requestid ?? ''), SchwabClientCorrelId: this.correlId, timestamp: this.options.now(), content: { code, msg } }],
    });
  }

  private send(connection: StreamConnection, frame: Record<string, unknown>): void {
    if (connection.stalled || connection.socket.readyState !== connection.socket.OPEN) return;
    sendThrough(this.faults, connection.socket, JSON.stringify(frame));
  }
}
