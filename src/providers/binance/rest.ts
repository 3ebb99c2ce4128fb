/**
 * The two REST calls the stream needs: the depth snapshot a local book starts from, and
 * exchangeInfo to tell an unknown symbol (Binance accepts any well-formed stream name silently)
 * from a quiet one. Plain node:http(s) without keep-alive, so a closed adapter leaves no socket.
 */
import http from 'node:http';
import https from 'node:https';
import { MarketError, redactUrl } from '../../model/errors';
import type { BinanceErrorBody } from './decoder';
import type { DepthSnapshot } from './depth-sync';

const TIMEOUT_MS = 10_000;

/** Binance answered with an error body ({"code":-1121,"msg":"Invalid symbol."}). */
export class BinanceRestError extends Error {
  readonly status: number;
  readonly body: BinanceErrorBody;

  constructor(status: number, body: BinanceErrorBody) {
    super(`${body.msg} (code ${body.code}, HTTP ${status})`);
    this.status = status;
    this.body = body;
  }
}

/** `-1121 Invalid symbol.` (binance errors table). */
export const INVALID_SYMBOL = -1121;

export interface SymbolInfo {
  symbol: string;
  status: string;
}

export class BinanceRest {
  private readonly base: string;
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(base: string) {
    this.base = base;
  }

  depth(symbol: string, limit: number): Promise<DepthSnapshot> {
    return this.get<DepthSnapshot>(`/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`).then((body) => {
      if (typeof body.lastUpdateId !== 'number' || !Array.isArray(body.bids) || !Array.isArray(body.asks)) {
        throw new MarketError('PROTOCOL', `Binance: the depth snapshot of ${symbol} has no lastUpdateId/bids/asks`, { provider: 'binance', symbol });
      }
      return body;
    });
  }

  exchangeInfo(symbol: string): Promise<SymbolInfo | null> {
    return this.get<{ symbols?: SymbolInfo[] }>(`/api/v3/exchangeInfo?symbol=${encodeURIComponent(symbol)}`).then(
      (body) => body.symbols?.find((info) => info.symbol === symbol) ?? null,
    );
  }

  /** Aborts every request in flight (the adapter is stopping). */
  abortAll(): void {
    for (const request of this.inFlight) request.destroy();
    this.inFlight.clear();
  }

  private get<T>(path: string): Promise<T> {
    const url = this.base + path;
    return new Promise<T>((resolve, reject) => {
      const client = url.startsWith('https:') ? https : http;
      let request: http.ClientRequest;
      try {
        request = client.get(url, { agent: false, timeout: TIMEOUT_MS, headers: { accept: 'application/json' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (err) => finish(err));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              finish(new MarketError('PROTOCOL', `Binance REST ${redactUrl(url)} answered HTTP ${response.statusCode ?? '?'} with a body that is not JSON`, { provider: 'binance' }));
              return;
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) finish(null, body as T);
            else if (isErrorBody(body)) finish(new BinanceRestError(status, body));
            else finish(new MarketError('NETWORK', `Binance REST ${redactUrl(url)} answered HTTP ${status}`, { provider: 'binance' }));
          });
        });
      } catch (err) {
        reject(new MarketError('CONFIG', `Binance: bad REST endpoint ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, { provider: 'binance' }));
        return;
      }
      this.inFlight.add(request);
      const finish = (err: Error | null, value?: T): void => {
        this.inFlight.delete(request);
        if (err) reject(err);
        else resolve(value as T);
      };
      request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      request.on('error', (err) => finish(new MarketError('NETWORK', `Binance REST ${redactUrl(url)}: ${err.message}`, { provider: 'binance' })));
    });
  }
}

function isErrorBody(body: unknown): body is BinanceErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as BinanceErrorBody).code === 'number' && typeof (body as BinanceErrorBody).msg === 'string';
}
