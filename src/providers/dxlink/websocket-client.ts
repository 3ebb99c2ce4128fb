/**
 * @dxfeed/dxlink-api 0.3.0 opens its socket with `new WebSocket(url)`, a free identifier that
 * resolves to the global (protocol doc §7.1). Node 20 has no global WebSocket, and assigning
 * one would change the process for every other node in the same Node-RED. Instead we load a
 * private instance of the library's client module whose `WebSocket` is a function parameter:
 * the module's source is compiled with vm.compileFunction (the same wrapper Node's loader
 * uses, plus one parameter), so only that instance sees our class; globalThis stays as it was,
 * and anyone else who requires the library gets the untouched original.
 *
 * Node 22+ has a built-in WebSocket; it is used there (passed in the same way).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import WebSocket from 'ws';
import type { DXLinkWebSocketClient, DXLinkWebSocketClientConfig } from '@dxfeed/dxlink-api';

/** What the library needs from a WebSocket class: the browser API (addEventListener, send, close). */
type WebSocketClass = new (url: string) => unknown;

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

let loaded: ClientModule | null = null;

/** The WebSocket class handed to the library: the built-in from Node 22 on, `ws` before. */
export function webSocketClassForLibrary(): WebSocketClass {
  const major = Number(process.versions.node.split('.')[0]);
  const builtIn = (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  return major >= 22 && typeof builtIn === 'function' ? builtIn : NodeWebSocket;
}

/** A DXLinkWebSocketClient whose sockets come from webSocketClassForLibrary(). */
export function createDxlinkClient(config: Partial<DXLinkWebSocketClientConfig>): DXLinkWebSocketClient {
  loaded ??= loadClientModule(webSocketClassForLibrary());
  return new loaded.DXLinkWebSocketClient(config);
}

function loadClientModule(webSocketClass: WebSocketClass): ClientModule {
  // Resolve through @dxfeed/dxlink-api so the client module is found wherever npm placed it.
  const apiRequire = createRequire(require.resolve('@dxfeed/dxlink-api'));
  const filename = apiRequire.resolve('@dxfeed/dxlink-websocket-client');
  const source = fs.readFileSync(filename, 'utf8');
  const moduleFunction = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', 'WebSocket'], { filename });
  const module = { exports: {} as ClientModule };
  moduleFunction(module.exports, createRequire(filename), module, filename, path.dirname(filename), webSocketClass);
  return module.exports;
}
