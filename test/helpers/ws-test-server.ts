/**
 * A local WebSocket server for session tests (127.0.0.1, ephemeral port) that can drop its
 * clients, go silent while keeping the socket open, and refuse the upgrade with an HTTP status.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export class TestWsServer {
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  /** Upgrade attempts, accepted or not. */
  attempts = 0;
  /** Sockets accepted. */
  connections = 0;
  /** Text frames received, per socket, in order. */
  readonly received: string[][] = [];
  /** When set, upgrades are refused with this HTTP status. */
  rejectWith: number | null = null;
  /** When true, the server sends nothing (and drops what it would send). */
  stalled = false;
  private readonly onFrame: (socket: WebSocket, text: string, server: TestWsServer) => void;

  private constructor(onFrame: (socket: WebSocket, text: string, server: TestWsServer) => void) {
    this.onFrame = onFrame;
    this.http = http.createServer();
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      this.attempts += 1;
      if (this.rejectWith !== null) {
        socket.end(`HTTP/1.1 ${this.rejectWith} Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  static async start(onFrame: (socket: WebSocket, text: string, server: TestWsServer) => void = () => undefined): Promise<TestWsServer> {
    const server = new TestWsServer(onFrame);
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get clients(): WebSocket[] {
    return [...this.wss.clients];
  }

  send(socket: WebSocket, text: string): void {
    if (!this.stalled && socket.readyState === socket.OPEN) socket.send(text);
  }

  broadcast(text: string): void {
    for (const client of this.wss.clients) this.send(client, text);
  }

  /** Drops every client without a close frame, like a network failure. */
  dropAll(): void {
    for (const client of this.wss.clients) client.terminate();
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.connections += 1;
    const frames: string[] = [];
    this.received.push(frames);
    ws.on('message', (data) => {
      const text = data.toString();
      frames.push(text);
      this.onFrame(ws, text, this);
    });
  }
}
