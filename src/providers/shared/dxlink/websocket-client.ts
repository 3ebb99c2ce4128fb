/**
 * @dxfeed/dxlink-api 0.3.0 opens its socket with `new WebSocket(url)`, a free identifier that
 * resolves to the global (docs/protocols/dxlink-tastytrade.md §7.1). Node 20 has no global WebSocket, and assigning
 * one would change the process for every other node in the same Node-RED. Instead we load a
 * private instance of the library's client module whose `WebSocket` is a function parameter:
 * the module's source is compiled with vm.compileFunction (the same wrapper Node's loader
 * uses, plus one parameter), so only that instance sees our class; globalThis stays as it was,
 * and anyone else who requires the library gets the untouched original.
 *
 * Node 22+ has a built-in WebSocket; it is used there (passed in the same way).
 *
 * Each client gets its own instance of the module, with a WebSocket class that screens every
 * incoming frame before the library reads it: the library swallows a frame it cannot read with a
 * console.error (a stack trace per frame on Node-RED's console, nothing the nodes could count), so
 * binary frames, text that is not JSON and messages without a type and channel are handed to
 * `onMalformed` instead (compiling the module takes well under a millisecond).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import WebSocket from 'ws';
import type { DXLinkWebSocketClient, DXLinkWebSocketClientConfig } from '@dxfeed/dxlink-api';

/** What the library needs from a WebSocket class: the browser API (addEventListener, send, close). */
type WebSocketClass = new (url: string) => unknown;

type MessageListener = (event: { data: unknown }) => void;

interface BrowserSocket {
  addEventListener(type: string, listener: MessageListener, options?: unknown): void;
  removeEventListener(type: string, listener: MessageListener, options?: unknown): void;
}

const HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * `ws` with the browser API the library uses. ws emits 'error' through EventEmitter; the library
 * removes its listeners before closing a socket that may still be connecting, and an 'error'
 * with no listener would throw and take the Node-RED process down, so one no-op listener stays.
 */
class NodeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    this.on('error', () => undefined);
  }
}

interface ClientModule {
  DXLinkWebSocketClient: new (config?: Partial<DXLinkWebSocketClientConfig>) => DXLinkWebSocketClient;
}

/** The WebSocket class handed to the library: the built-in from Node 22 on, `ws` before. */
export function webSocketClassForLibrary(): WebSocketClass {
  const major = Number(process.versions.node.split('.')[0]);
  const builtIn = (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  return major >= 22 && typeof builtIn === 'function' ? builtIn : NodeWebSocket;
}

/**
 * A DXLinkWebSocketClient whose sockets come from webSocketClassForLibrary() and whose frames the
 * library only sees when `dxlinkFrameProblem` finds nothing wrong with them.
 */
export function createDxlinkClient(config: Partial<DXLinkWebSocketClientConfig>, onMalformed: (reason: string) => void): DXLinkWebSocketClient {
  const module = loadClientModule(screenedSocketClass(webSocketClassForLibrary(), onMalformed));
  return new module.DXLinkWebSocketClient(config);
}

/** A subclass whose 'message' listeners get only frames that pass the screen; the rest go to `onMalformed`. */
function screenedSocketClass(base: WebSocketClass, onMalformed: (reason: string) => void): WebSocketClass {
  const Base = base as new (url: string) => BrowserSocket;
  return class ScreenedWebSocket extends Base {
    private readonly screened = new Map<MessageListener, MessageListener>();

    override addEventListener(type: string, listener: MessageListener, options?: unknown): void {
      if (type !== 'message') {
        super.addEventListener(type, listener, options);
        return;
      }
      const screened: MessageListener = (event) => {
        const problem = dxlinkFrameProblem(event.data);
        if (problem) onMalformed(problem);
        else listener(event);
      };
      this.screened.set(listener, screened);
      super.addEventListener(type, screened, options);
    }

    override removeEventListener(type: string, listener: MessageListener, options?: unknown): void {
      const screened = type === 'message' ? this.screened.get(listener) : undefined;
      if (screened) this.screened.delete(listener);
      super.removeEventListener(type, screened ?? listener, options);
    }
  };
}

const CONNECTION_MESSAGES = new Set(['SETUP', 'AUTH_STATE', 'KEEPALIVE', 'ERROR']);
const CHANNEL_MESSAGES = new Set(['CHANNEL_OPENED', 'CHANNEL_CLOSED', 'ERROR', 'FEED_CONFIG', 'FEED_DATA']);

/**
 * Why a frame cannot be read as a DXLink message (docs/protocols/dxlink-tastytrade.md §3), or null: text with a JSON
 * object whose `type` is a message this client handles on its `channel` (0 = the connection).
 * SETUP and AUTH_STATE are checked further, because the library trusts them: a keepaliveTimeout
 * that is not a number would make its timeout check run in a tight loop.
 */
export function dxlinkFrameProblem(data: unknown): string | null {
  if (typeof data !== 'string') return 'a binary frame where text was expected';
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return 'a frame that is not JSON';
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'a frame that is not a JSON object';
  const { type, channel } = message as { type?: unknown; channel?: unknown };
  if (typeof type !== 'string' || !Number.isSafeInteger(channel) || (channel as number) < 0) return 'a message without a type and channel';
  if (!(channel === 0 ? CONNECTION_MESSAGES : CHANNEL_MESSAGES).has(type)) return 'a message of a type it does not know';
  if (type === 'SETUP') {
    const { keepaliveTimeout } = message as { keepaliveTimeout?: unknown };
    if (keepaliveTimeout !== undefined && !(typeof keepaliveTimeout === 'number' && keepaliveTimeout > 0 && Number.isFinite(keepaliveTimeout))) return 'a SETUP message whose keepaliveTimeout is not a number of seconds';
  }
  if (type === 'AUTH_STATE') {
    const { state } = message as { state?: unknown };
    if (state !== 'AUTHORIZED' && state !== 'UNAUTHORIZED') return 'an AUTH_STATE message with an unknown state';
  }
  return null;
}

let clientModuleSource: { filename: string; source: string } | null = null;

function loadClientModule(webSocketClass: WebSocketClass): ClientModule {
  if (!clientModuleSource) {
    // Resolve through @dxfeed/dxlink-api so the client module is found wherever npm placed it.
    const apiRequire = createRequire(require.resolve('@dxfeed/dxlink-api'));
    const filename = apiRequire.resolve('@dxfeed/dxlink-websocket-client');
    clientModuleSource = { filename, source: fs.readFileSync(filename, 'utf8') };
  }
  const { filename, source } = clientModuleSource;
  const moduleFunction = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', 'WebSocket'], { filename });
  const module = { exports: {} as ClientModule };
  moduleFunction(module.exports, createRequire(filename), module, filename, path.dirname(filename), webSocketClass);
  return module.exports;
}
