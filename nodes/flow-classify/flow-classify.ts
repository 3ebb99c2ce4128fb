/**
 * market-flow-classify: option prints (with option quotes, the underlying's prices and option
 * summaries) → one classified flow per order on output 1, whales on output 2, rolling
 * statistics on output 3. The logic is FlowClassifier (src/analytics); this file maps it to
 * Node-RED.
 *
 * Msgs: a flow goes out in the msg of the order's first print, with msg.payload = the flow and
 * msg.trades = the prints (their original payloads). Each print's msg is done once that flow
 * has been sent (or when the node closes with the order still open); other msgs at once.
 * Statistics are new msgs (topic "flowStats"): no input msg stands behind them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { FlowClassifier, parseFlowConfig, parseOccSymbol, type MarketEvent, type TradeEvent } from '../../src';
import { onAnalyticsInput, type DoneWithMsg, type SendMsgs } from '../shared/analytics-input';
import { showConfigError } from '../shared/config-error';

type FlowClassifyNodeDef = NodeDef & Record<string, unknown>;

/** What travels with an order's first print: its msg, which the flow goes out in, and its handler's send. */
interface FirstPrint {
  msg: NodeMessage;
  send: SendMsgs;
}

/** How often open orders are checked against the wall clock (quiet streams) and the status refreshed. */
const TICK_MS = 100;
const STATUS_EVERY_TICKS = 10;

export = function (RED: NodeAPI): void {
  function MarketFlowClassifyNode(this: Node, config: FlowClassifyNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let classifier: FlowClassifier<FirstPrint> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let flows = 0;
    let whales = 0;
    let ticks = 0;
    let shownFlows = -1;
    /**
     * The done of every print in an open order, by its payload (the classifier keeps the payload
     * objects in the order's trades): a print's msg is finished when its order's flow has been
     * sent. A list, in case one payload object comes twice.
     */
    const heldPrints = new Map<TradeEvent, DoneWithMsg[]>();

    const hold = (trade: TradeEvent, done: DoneWithMsg): void => {
      const dones = heldPrints.get(trade);
      if (dones) dones.push(done);
      else heldPrints.set(trade, [done]);
    };
    const release = (trade: TradeEvent): void => {
      const dones = heldPrints.get(trade);
      const done = dones?.shift();
      if (dones?.length === 0) heldPrints.delete(trade);
      done?.();
    };

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
      classifier = new FlowClassifier<FirstPrint>(parseFlowConfig(config), {
        flow: ({ flow, trades, carry }) => {
          flows += 1;
          if (flow.whale) whales += 1;
          const msg = carry.msg as NodeMessage & { trades?: unknown };
          msg.topic = flow.symbol;
          msg.payload = flow;
          msg.trades = trades;
          carry.send([msg, flow.whale ? msg : null, null]);
          for (const trade of trades) release(trade);
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
      showConfigError(RED, node, err);
    }

    onAnalyticsInput(RED, node, () => classifier, {
      event: (classifier, event, { msg, send, done, now }) => {
        // Events of no use here (books, candles) pass silently: one stream may feed several nodes.
        // Only a print that joins an order waits for the order's flow; every other msg is done now.
        const joins = joinsAnOrder(event);
        if (joins) hold(event, done);
        classifier.push(event, now, { msg, send });
        if (!joins) done();
      },
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      // Orders still inside their window are dropped with the node; their prints' msgs are done, so nothing waits for them.
      classifier = null;
      for (const dones of heldPrints.values()) for (const printDone of dones) printDone();
      heldPrints.clear();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-flow-classify', MarketFlowClassifyNode);
};

/**
 * The prints FlowClassifier puts into an order (see its onTrade): an option trade with a positive
 * price and size. Another trade (the underlying's) only gives a price.
 */
function joinsAnOrder(event: MarketEvent): event is TradeEvent {
  return event.type === 'trade' && event.price > 0 && event.size > 0 && (event.option !== undefined || parseOccSymbol(event.symbol) !== null);
}
