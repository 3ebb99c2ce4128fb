/**
 * Fault injection shared by the fakes, at the two places every fake has: where a client's frame
 * arrives and where a frame leaves for the client.
 *
 * - `dropOn(test)`: the socket is cut (no close frame, like a network failure) when a client frame
 *   arrives that `test` accepts, before the fake handles it: a drop in the middle of a handshake
 *   (after LOGIN/AUTH went out, before the subscribe was acknowledged) or of a resubscribe.
 * - `dropNextConnection()`: the next socket accepted is cut at once, before the client can send
 *   anything (a drop right after connect); `dropNow()` cuts every open socket (a drop at a random
 *   moment of a stream). Both count in `drops`, like `dropOn`.
 * - `rewriteNext(match, rewrite)`: the next outgoing frame that `match` accepts is replaced by
 *   whatever `rewrite` returns (text or binary, a truncated or retyped copy), or swallowed when it
 *   returns null: malformed frames in the middle of a real stream, with the fake's own sequence
 *   numbers and timing.
 */
import type { WebSocket } from 'ws';

export interface OutgoingFrame {
  data: string | Buffer;
  binary: boolean;
}

/** What a drop test sees: the frame, its 1-based index on its connection, and the connection's index. */
export interface ClientFrame {
  text: string;
  index: number;
  connection: number;
}

interface Rewrite {
  match: (text: string) => boolean;
  rewrite: (text: string) => OutgoingFrame | null;
}

export class FaultHooks {
  /** Sockets cut by a drop test so far. */
  drops = 0;
  private dropTest: ((frame: ClientFrame) => boolean) | null = null;
  private readonly rewrites: Rewrite[] = [];
  private readonly framesSeen = new WeakMap<WebSocket, number>();
  private readonly connectionOf = new WeakMap<WebSocket, number>();
  private connections = 0;
  private dropAccept = false;
  private readonly open = new Set<WebSocket>();

  /** Cut the socket when a client frame passes `test` (checked until it fires once, then disarmed). */
  dropOn(test: (frame: ClientFrame) => boolean): void {
    this.dropTest = test;
  }

  disarm(): void {
    this.dropTest = null;
  }

  get armed(): boolean {
    return this.dropTest !== null || this.dropAccept;
  }

  /** Cut the next socket accepted before it can carry anything. */
  dropNextConnection(): void {
    this.dropAccept = true;
  }

  /** Cuts every open socket now (no close frame); returns how many. */
  dropNow(): number {
    const sockets = [...this.open];
    for (const socket of sockets) this.cut(socket);
    return sockets.length;
  }

  /** Sockets accepted and not closed. */
  get openCount(): number {
    return this.open.size;
  }

  /** Sockets accepted so far; the next one gets this index as its `connection`. */
  get acceptedCount(): number {
    return this.connections;
  }

  rewriteNext(match: (text: string) => boolean, rewrite: (text: string) => OutgoingFrame | null): void {
    this.rewrites.push({ match, rewrite });
  }

  /** Rewrites still waiting for their frame. */
  get pendingRewrites(): number {
    return this.rewrites.length;
  }

  /** Call for every accepted socket, in order. */
  accepted(socket: WebSocket): void {
    this.connectionOf.set(socket, this.connections++);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    if (!this.dropAccept) return;
    this.dropAccept = false;
    this.cut(socket);
  }

  /** Call with every client frame before handling it; true = the socket was cut, do not handle the frame. */
  incoming(socket: WebSocket, text: string): boolean {
    const index = (this.framesSeen.get(socket) ?? 0) + 1;
    this.framesSeen.set(socket, index);
    const test = this.dropTest;
    if (!test || !test({ text, index, connection: this.connectionOf.get(socket) ?? -1 })) return false;
    this.dropTest = null;
    this.cut(socket);
    return true;
  }

  private cut(socket: WebSocket): void {
    this.open.delete(socket);
    this.drops += 1;
    socket.terminate();
  }

  /** Call with every frame before sending it; null = send nothing. */
  outgoing(text: string): OutgoingFrame | null {
    for (let i = 0; i < this.rewrites.length; i++) {
      const entry = this.rewrites[i] as Rewrite;
      if (!entry.match(text)) continue;
      this.rewrites.splice(i, 1);
      return entry.rewrite(text);
    }
    return { data: text, binary: false };
  }
}

/** Sends a frame through the hooks. */
export function sendThrough(hooks: FaultHooks, socket: WebSocket, text: string): void {
  const frame = hooks.outgoing(text);
  if (frame) socket.send(frame.data, { binary: frame.binary });
}
