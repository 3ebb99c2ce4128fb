/**
 * market-stream-in: subscribes symbols × channels on a market-provider and sends one msg per
 * normalized event on output 1, and status and health msgs on output 2. An input msg changes
 * the subscriptions at run time. The logic lives in StreamConsumer; this file maps it to
 * Node-RED: msgs, status dot, errors, close.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import {
  MarketError,
  StreamConsumer,
  parseStreamConfig,
  parseSubscriptionCommand,
  type HealthEvent,
  type MarketEvent,
  type NoticeEvent,
  type StatusEvent,
  type StatusView,
  type StreamSpec,
} from '../../src';
import type { ProviderConfigNode } from '../shared/provider-node';
import { showConfigError } from '../shared/config-error';
import { msgIdSequence } from './msg-id';

interface StreamInNodeDef extends NodeDef {
  provider?: string;
  symbols?: unknown;
  channels?: unknown;
  interval?: unknown;
  depth?: unknown;
  throttleMs?: unknown;
  staleAfter?: unknown;
}

export = function (RED: NodeAPI): void {
  function MarketStreamInNode(this: Node, config: StreamInNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const providerNode = (config.provider ? RED.nodes.getNode(config.provider) : null) as ProviderConfigNode | null;
    let consumer: StreamConsumer | null = null;
    let spec: StreamSpec | null = null;
    let startTimer: NodeJS.Immediate | null = null;
    // Our own msg ids: Node-RED would otherwise draw one for every msg (see msg-id.ts).
    const nextMsgId = msgIdSequence();

    const showStatus = (view: StatusView): void => {
      const status: NodeStatus = { fill: view.fill, shape: view.shape, text: RED._(`market-stream-in.status.${view.key}`, { rate: view.rate ?? 0, attempt: view.attempt ?? '' }) };
      node.status(status);
    };

    /** Registers with the provider and subscribes; runs once, on the next tick or on the first input msg. */
    const startNow = (): void => {
      if (startTimer) clearImmediate(startTimer);
      startTimer = null;
      if (!consumer || !providerNode) return;
      try {
        providerNode.register(consumer);
        consumer.start();
      } catch (err) {
        consumer = null;
        showConfigError(RED, node, err);
      }
    };

    try {
      if (!providerNode) {
        showConfigError(RED, node, RED._('market-stream-in.errors.noProvider'));
      } else if (!providerNode.session) {
        showConfigError(RED, node, providerNode.configError ?? RED._('market-stream-in.errors.noProvider'));
      } else {
        const session = providerNode.session;
        spec = parseStreamConfig(config, session.provider);
        consumer = new StreamConsumer(node.id, session, spec, {
          event: (event: MarketEvent) => node.send([{ _msgid: nextMsgId(), topic: event.symbol, payload: event }, null]),
          status: (event: StatusEvent | NoticeEvent | HealthEvent) => node.send([null, { _msgid: nextMsgId(), topic: event.type === 'status' ? (event.symbol ?? 'status') : event.type, payload: event }]),
          error: (error: MarketError) => node.error(error.message, errorMsg(error)),
          display: showStatus,
        });
        // Start once the flow is wired: msgs sent from inside the constructor would be lost.
        startTimer = setImmediate(startNow);
      }
    } catch (err) {
      consumer = null;
      showConfigError(RED, node, err);
    }

    node.on('input', (msg, _send, done) => {
      if (startTimer) startNow();
      if (!consumer || !spec || !providerNode?.session) {
        done(new Error(RED._('market-stream-in.errors.notRunning')));
        return;
      }
      try {
        consumer.apply(parseSubscriptionCommand(msg.payload, providerNode.session.provider, spec.channels));
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    node.on('close', (removed: boolean, done: () => void) => {
      const registered = startTimer === null;
      if (startTimer) clearImmediate(startTimer);
      startTimer = null;
      const closing = consumer;
      consumer = null;
      const finish = (): void => {
        node.status({});
        done();
      };
      if (!closing || !providerNode || !registered) {
        finish();
        return;
      }
      closing.stop();
      providerNode.deregister(closing, removed).then(finish, (err: unknown) => {
        node.warn(err instanceof Error ? err.message : String(err));
        finish();
      });
    });
  }

  RED.nodes.registerType('market-stream-in', MarketStreamInNode);
};

/** A msg that makes a runtime error catchable by a Catch node; it says what failed, never a credential. */
function errorMsg(error: MarketError): NodeMessage {
  const payload: Record<string, unknown> = { type: 'status', state: 'error', code: error.code, detail: error.message };
  if (error.symbol) payload.symbol = error.symbol;
  if (error.channel) payload.channel = error.channel;
  if (error.reason) payload.reason = error.reason;
  return { topic: error.symbol ?? 'error', payload };
}
