/**
 * The input handler the analytics nodes share (docs/architecture.md, Analytics nodes: Input):
 * a market event or a stream status goes to the node, health and notice msgs complete at once,
 * and a payload that is not a market event is reported through done(err) once a minute per
 * reason, because a feed repeats a bad msg many times a second.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { RepeatGate, readAnalyticsInput, type MarketEvent, type StatusInput } from '../../src';

export type SendMsgs = (msgs: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneWithMsg = (err?: Error) => void;

/** One input msg with the handler's send and done, and the wall time it came. */
export interface AnalyticsInputCall {
  msg: NodeMessage;
  send: SendMsgs;
  /** The handler calls it when it is finished with the msg: at once, or when the output the msg is part of has been sent. */
  done: DoneWithMsg;
  now: number;
}

export interface AnalyticsInputHandlers<T> {
  event(core: T, event: MarketEvent, call: AnalyticsInputCall): void;
  /** Stream-in status msgs; without it they complete at once. */
  status?(core: T, status: StatusInput, call: AnalyticsInputCall): void;
}

/**
 * Registers the node's input handler. `running` gives the node's analytics core, or null while
 * a bad setting (or the close) stops the node: then every msg is answered with the node type's
 * `errors.notRunning`.
 */
export function onAnalyticsInput<T>(RED: NodeAPI, node: Node, running: () => T | null, handlers: AnalyticsInputHandlers<T>): void {
  const repeats = new RepeatGate();
  node.on('input', (msg, send, done) => {
    const core = running();
    if (!core) {
      done(new Error(RED._(`${node.type}.errors.notRunning`)));
      return;
    }
    const now = Date.now();
    const input = readAnalyticsInput(msg.payload, now);
    if (input.kind === 'event') handlers.event(core, input.event, { msg, send, done, now });
    else if (input.kind === 'status' && handlers.status) handlers.status(core, input.status, { msg, send, done, now });
    else if (input.kind === 'invalid' && repeats.allow(input.reason, now)) done(new Error(input.reason));
    else done();
  });
}
