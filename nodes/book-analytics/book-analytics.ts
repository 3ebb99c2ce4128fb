/**
 * market-book-analytics: book msgs → spread, imbalance, microprice, notional and depth on
 * output 1 (rate-limited per symbol), alerts on output 2 (spread, imbalance, sync lost and
 * regained, crossed book). Wire stream-in's output 2 here too so it hears when a book loses
 * sync. The logic is BookAnalyzer (src/analytics).
 *
 * Msgs: the incoming msg is forwarded with msg.payload = the metrics (or the alert) and
 * msg.event = the book (or status) it came from; a second alert from the same msg is a copy.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { BookAnalyzer, parseBookConfig, type BookAlert } from '../../src';
import { onAnalyticsInput } from '../shared/analytics-input';
import { showConfigError } from '../shared/config-error';

type BookAnalyticsNodeDef = NodeDef & Record<string, unknown>;

const STATUS_EVERY_MS = 1_000;

export = function (RED: NodeAPI): void {
  function MarketBookAnalyticsNode(this: Node, config: BookAnalyticsNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let analyzer: BookAnalyzer | null = null;
    let timer: NodeJS.Timeout | null = null;
    let alerts = 0;
    let shown = '';
    /** A market event that is not a book, remembered to hint at the wiring while no book came. */
    let ignoredType = '';

    const showStatus = (): void => {
      if (!analyzer) return;
      const outOfSync = analyzer.outOfSync;
      const key = `${analyzer.symbols}|${alerts}|${outOfSync}|${ignoredType}`;
      if (key === shown) return;
      shown = key;
      if (outOfSync > 0) node.status({ fill: 'yellow', shape: 'ring', text: RED._('market-book-analytics.status.resyncing', { count: outOfSync }) });
      else if (analyzer.symbols === 0) node.status({ fill: 'grey', shape: 'ring', text: RED._(ignoredType ? 'market-book-analytics.status.notBook' : 'market-book-analytics.status.waiting', { type: ignoredType }) });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('market-book-analytics.status.counts', { books: analyzer.symbols, alerts }) });
    };

    /** Output-2 msgs: the input msg for the first alert (unless it already carries metrics), copies after. */
    const alertMsgs = (msg: NodeMessage, event: unknown, list: readonly BookAlert[], msgTaken: boolean): NodeMessage[] => {
      alerts += list.length;
      return list.map((alert, i) => Object.assign(i === 0 && !msgTaken ? msg : { ...msg }, { topic: alert.symbol, payload: alert, event }));
    };

    try {
      analyzer = new BookAnalyzer(parseBookConfig(config));
      timer = setInterval(showStatus, STATUS_EVERY_MS);
      showStatus();
    } catch (err) {
      showConfigError(RED, node, err);
    }

    onAnalyticsInput(RED, node, () => analyzer, {
      event: (analyzer, event, { msg, send, done }) => {
        if (event.type !== 'book') {
          // Other events pass silently (one stream may feed several nodes); the status hints while no book came.
          ignoredType = event.type;
          done();
          return;
        }
        const result = analyzer.onBook(event);
        if (result.metrics) Object.assign(msg, { topic: event.symbol, payload: result.metrics, event });
        const toAlert = result.alerts.length > 0 ? alertMsgs(msg, event, result.alerts, result.metrics !== null) : null;
        if (result.metrics || toAlert) send([result.metrics ? msg : null, toAlert]);
        done();
      },
      status: (analyzer, status, { msg, send, done }) => {
        const raised = analyzer.onStatus(status);
        if (raised.length > 0) send([null, alertMsgs(msg, msg.payload, raised, false)]);
        done();
      },
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      analyzer = null;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-book-analytics', MarketBookAnalyticsNode);
};
