/**
 * market-flow-classify: option prints (with option quotes, the underlying's prices and option
 * summaries) → one classified flow per order on output 1, whales on output 2, rolling
 * statistics on output 3. The logic is FlowClassifier (src/analytics); this file maps it to
 * Node-RED.
 *
 * Msgs: a flow goes out in the msg of the order's first print, with msg.payload = the flow and
 * msg.trades = the prints (their original payloads). Statistics are new msgs (topic
 * "flowStats"): no input msg stands behind them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { FlowClassifier, RepeatGate, parseFlowConfig, readAnalyticsInput } from '../../src';

type FlowClassifyNodeDef = NodeDef & Record<string, unknown>;

/** How often open orders are checked against the wall clock (quiet streams) and the status refreshed. */
const TICK_MS = 100;
const STATUS_EVERY_TICKS = 10;

export = function (RED: NodeAPI): void {
  function MarketFlowClassifyNode(this: Node, config: FlowClassifyNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const repeats = new RepeatGate();
    let classifier: FlowClassifier<NodeMessage> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let flows = 0;
    let whales = 0;
    let ticks = 0;
    let shownFlows = -1;

    const showStatus = (): void => {
      if (flows === shownFlows) return;
      shownFlows = flows;
      node.status(
        flows === 0
          ? { fill: 'grey', shape: 'ring', text: RED._('market-flow-classify.status.waiting') }
          : { fill: 'green', shape: 'dot', text: RED._('market-flow-classify.status.counts', { flows, whales }) },
      );
    };

    try {
      classifier = new FlowClassifier<NodeMessage>(parseFlowConfig(config), {
        flow: ({ flow, trades, carry }) => {
          flows += 1;
          if (flow.whale) whales += 1;
          const msg = carry as NodeMessage & { trades?: unknown };
          msg.topic = flow.symbol;
          msg.payload = flow;
          msg.trades = trades;
          node.send([msg, flow.whale ? msg : null, null]);
        },
        stats: (stats) => node.send([null, null, { topic: 'flowStats', payload: stats }]),
      });
      timer = setInterval(() => {
        classifier?.tick(Date.now());
        ticks += 1;
        if (ticks % STATUS_EVERY_TICKS === 0) showStatus();
      }, TICK_MS);
      showStatus();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      node.status({ fill: 'red', shape: 'dot', text: RED._('market-flow-classify.status.configError') });
      node.error(message, { topic: 'config', payload: { type: 'status', state: 'error', detail: message } });
    }

    node.on('input', (msg, _send, done) => {
      if (!classifier) {
        done(new Error(RED._('market-flow-classify.errors.notRunning')));
        return;
      }
      const now = Date.now();
      const input = readAnalyticsInput(msg.payload, now);
      if (input.kind === 'event') {
        // Events of no use here (books, candles) pass silently: one stream may feed several nodes.
        classifier.push(input.event, now, msg);
        done();
      } else if (input.kind === 'invalid' && repeats.allow(input.reason, now)) {
        done(new Error(input.reason));
      } else {
        done();
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      // Orders still inside their window are dropped with the node.
      classifier = null;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-flow-classify', MarketFlowClassifyNode);
};
