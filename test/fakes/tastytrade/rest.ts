/**
 * A local tastytrade REST API written from docs/protocols/dxlink-tastytrade.md §2:
 * POST /oauth/token (JSON refresh grant, no Authorization header, 15-minute access tokens) and
 * GET /api-quote-tokens (Bearer access token → DXLink token valid 24 h and the DXLink URL, which
 * points at a FakeDxlinkServer that learns each issued token). Errors use tastytrade's envelope
 * `{"error":{"code","message"}}`.
 */
import type { FakeDxlinkServer } from '../dxlink/server';
import { echoOf, freshToken, startJsonServer, type JsonReply, type JsonRequest } from '../http-json';

export interface FakeTastytradeOptions {
  clientSecret: string;
  refreshToken: string;
  dxlink: FakeDxlinkServer;
  /** Time source for token lifetimes (tests pass their fake clock). */
  now?: () => number;
  accessLifetimeS?: number;
  quoteLifetimeMs?: number;
}

export class FakeTastytradeRest {
  private readonly options: Required<FakeTastytradeOptions>;
  private readonly accessTokens = new Map<string, number>();
  private closeServer: () => Promise<void> = async () => undefined;
  url = '';
  tokenRequests = 0;
  quoteTokenRequests = 0;
  /** Every token this fake handed out, for the secret scan. */
  readonly issued: string[] = [];
  /** When set, the refresh grant is refused with this message (a revoked grant). */
  refuseGrant: string | null = null;
  /** When set, the token request fails with this HTTP status and an error message that repeats the request (a misbehaving server or proxy). */
  echoRequest: number | null = null;

  private constructor(options: FakeTastytradeOptions) {
    this.options = { now: Date.now, accessLifetimeS: 900, quoteLifetimeMs: 24 * 3_600_000, ...options };
  }

  static async start(options: FakeTastytradeOptions): Promise<FakeTastytradeRest> {
    const fake = new FakeTastytradeRest(options);
    const { url, close } = await startJsonServer((request) => fake.handle(request));
    fake.url = url;
    fake.closeServer = close;
    return fake;
  }

  close(): Promise<void> {
    return this.closeServer();
  }

  private handle(request: JsonRequest): JsonReply {
    if (!request.headers['user-agent']) return error(400, 'missing_user_agent', 'A User-Agent header is required');
    if (request.method === 'POST' && request.path === '/oauth/token') return this.token(request);
    if (request.method === 'GET' && request.path === '/api-quote-tokens') return this.quoteToken(request);
    return error(404, 'not_found', `no route ${request.method} ${request.path}`);
  }

  private token(request: JsonRequest): JsonReply {
    this.tokenRequests += 1;
    if (this.echoRequest !== null) return error(this.echoRequest, 'invalid_request', echoOf(request));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      return error(400, 'invalid_request', 'body must be JSON');
    }
    if (body.grant_type !== 'refresh_token') return error(400, 'unsupported_grant_type', 'grant_type must be refresh_token');
    if (this.refuseGrant !== null) return error(401, 'invalid_grant', this.refuseGrant);
    if (body.client_secret !== this.options.clientSecret || body.refresh_token !== this.options.refreshToken) {
      return error(401, 'invalid_grant', 'Invalid client secret or refresh token');
    }
    const token = freshToken('tt-access');
    this.issued.push(token);
    this.accessTokens.set(token, this.options.now() + this.options.accessLifetimeS * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: this.options.accessLifetimeS } };
  }

  private quoteToken(request: JsonRequest): JsonReply {
    this.quoteTokenRequests += 1;
    const match = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    const expiresAt = match ? this.accessTokens.get(match[1]!) : undefined;
    if (expiresAt === undefined || expiresAt <= this.options.now()) return error(401, 'token_invalid', 'This access token is invalid or has expired');
    const token = freshToken('tt-quote');
    this.issued.push(token);
    const issuedAt = this.options.now();
    const quoteExpiresAt = issuedAt + this.options.quoteLifetimeMs;
    this.options.dxlink.tokens.set(token, quoteExpiresAt);
    return {
      status: 200,
      body: {
        data: { token, 'dxlink-url': this.options.dxlink.url, level: 'api', 'issued-at': new Date(issuedAt).toISOString(), 'expires-at': new Date(quoteExpiresAt).toISOString() },
        context: '/api-quote-tokens',
      },
    };
  }
}

function error(status: number, code: string, message: string): JsonReply {
  return { status, body: { error: { code, message } } };
}
