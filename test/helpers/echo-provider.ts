/**
 * A throw-away provider for session tests, on ResilientSocket with a tiny JSON protocol:
 *   client → {"op":"auth","token":...}   server → {"op":"auth","ok":true|false,"reason":...}
 *   client → {"op":"subscribe"|"unsubscribe","keys":["trade:AAA",...]}
 *   server → {"op":"trade","symbol":"AAA","price":1,"size":2,"ts":...}
 */
import { MarketError } from '../../src/model/errors';
import { ResilientSocket } from '../../src/transport/resilient-socket';
import type { AdapterContext, ProviderAdapter, ProviderDefinition, UpstreamSubscription } from '../../src/model/provider';
import type { BackoffPolicy } from '../../src/transport/backoff';

export interface EchoProviderOptions {
  id?: string;
  staleAfterMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Called with every adapter created, so a test can inspect it. */
  onCreate?: (adapter: EchoAdapter) => void;
}

export class EchoAdapter implements ProviderAdapter {
  readonly socket: ResilientSocket;
  readonly subscribed = new Map<string, UpstreamSubscription>();
  readonly context: AdapterContext;
  private authWaiter: ((ok: boolean, reason: string) => void) | null = null;

  constructor(context: AdapterContext, options: EchoProviderOptions) {
    this.context = context;
    this.socket = new ResilientSocket({
      label: context.settings.provider,
      target: () => ({ url: context.settings.endpoint }),
      staleAfterMs: options.staleAfterMs ?? 0,
      clock: context.clock,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onOpen: (socket) => this.handshake(socket),
      onMessage: (data) => this.handleFrame(data.toString()),
      onState: (change) => context.setState(change),
    });
  }

  start(): void {
    this.socket.start();
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) this.subscribed.set(sub.key, sub);
    if (this.socket.isReady) this.socket.send(JSON.stringify({ op: 'subscribe', keys: subscriptions.map((s) => s.key) }));
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) this.subscribed.delete(sub.key);
    if (this.socket.isReady) this.socket.send(JSON.stringify({ op: 'unsubscribe', keys: subscriptions.map((s) => s.key) }));
  }

  stop(): Promise<void> {
    return this.socket.close();
  }

  private async handshake(socket: ResilientSocket): Promise<void> {
    const token = this.context.settings.credentials.token;
    if (token !== undefined) {
      const answer = new Promise<{ ok: boolean; reason: string }>((resolve) => {
        this.authWaiter = (ok, reason) => resolve({ ok, reason });
      });
      socket.send(JSON.stringify({ op: 'auth', token }));
      const { ok, reason } = await answer;
      if (!ok) throw new MarketError('AUTH', `echo rejected the credentials: ${reason}`, { provider: 'echo', reason });
    }
    if (this.subscribed.size > 0) socket.send(JSON.stringify({ op: 'subscribe', keys: [...this.subscribed.keys()] }));
  }

  private handleFrame(text: string): void {
    const frame = JSON.parse(text) as { op: string; ok?: boolean; reason?: string; symbol?: string; price?: number; size?: number; ts?: number; message?: string };
    if (frame.op === 'auth') {
      this.authWaiter?.(frame.ok === true, frame.reason ?? '');
      this.authWaiter = null;
    } else if (frame.op === 'trade' && frame.symbol) {
      this.context.emit({ type: 'trade', provider: 'echo', symbol: frame.symbol, ts: frame.ts ?? this.context.clock.now(), receivedAt: this.context.clock.now(), price: frame.price as number, size: frame.size as number });
    } else if (frame.op === 'error' && frame.symbol) {
      this.context.error(new MarketError('SUBSCRIPTION', `echo: ${frame.message ?? 'rejected'}`, { provider: 'echo', symbol: frame.symbol }));
    }
  }
}

export function echoProvider(options: EchoProviderOptions = {}): ProviderDefinition {
  return {
    id: options.id ?? 'echo',
    label: 'Echo (tests)',
    status: 'available',
    channels: ['trade', 'quote', 'book'],
    intervals: [],
    fields: { endpoint: true, restEndpoint: false, options: false },
    credentials: [{ name: 'token', required: false, label: 'Token' }],
    defaultEndpoint: '',
    defaultRestEndpoint: '',
    exampleSymbols: 'AAA',
    chainSubscriptions: false,
    canonicalSymbol: (text) => text.trim().toUpperCase(),
    validateSettings: (settings) => (settings.endpoint ? null : 'echo needs an endpoint'),
    create: (context) => {
      const adapter = new EchoAdapter(context, options);
      options.onCreate?.(adapter);
      return adapter;
    },
  };
}
