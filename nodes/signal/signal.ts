/**
 * market-signal: trades, quotes or closed candles → a momentum signal (buy, sell, flat) per
 * symbol, sent only when the side changes, after the warm-up, with hysteresis and a cooldown.
 * The logic is MomentumTracker (src/analytics).
 *
 * Msgs: the msg whose event closed the deciding bar is forwarded with msg.payload = the signal
 * and msg.event = that event.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { MomentumTracker, parseSignalConfig, type SignalEvent } from '../../src';
import { onAnalyticsInput } from '../shared/analytics-input';
import { showConfigError } from '../shared/config-error';

type SignalNodeDef = NodeDef & Record<string, unknown>;

const STATUS_EVERY_MS = 1_000;

export = function (RED: NodeAPI): void {
  function MarketSignalNode(this: Node, config: SignalNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let tracker: MomentumTracker | null = null;
    let timer: NodeJS.Timeout | null = null;
    let last: SignalEvent | null = null;
    let lastSymbol = '';
    let shown = '';

    const showStatus = (): void => {
      if (!tracker) return;
      const bars = lastSymbol ? tracker.barsOf(lastSymbol) : 0;
      const key = last ? `${last.symbol}|${last.side}` : `${bars}`;
      if (key === shown) return;
      shown = key;
      if (last) node.status({ fill: last.side === 'flat' ? 'grey' : 'green', shape: 'dot', text: RED._('market-signal.status.side', { symbol: last.symbol, side: last.side }) });
      else if (lastSymbol) node.status({ fill: 'grey', shape: 'ring', text: RED._('market-signal.status.warmup', { bars: Math.min(bars, tracker.warmup), warmup: tracker.warmup }) });
      else node.status({ fill: 'grey', shape: 'ring', text: RED._('market-signal.status.waiting') });
    };

    try {
      tracker = new MomentumTracker(parseSignalConfig(config));
      timer = setInterval(showStatus, STATUS_EVERY_MS);
      showStatus();
    } catch (err) {
      showConfigError(RED, node, err);
    }

    onAnalyticsInput(RED, node, () => tracker, {
      event: (tracker, event, { msg, send, done }) => {
        // Events of other kinds than the chosen source pass silently: one stream may carry several.
        if (tracker.accepts(event)) lastSymbol = event.symbol;
        // A bar holds prices, not msgs: the signal goes out in the msg that closed the bar, so every msg is done here.
        const signal = tracker.onEvent(event);
        if (signal) {
          last = signal;
          send(Object.assign(msg, { topic: signal.symbol, payload: signal, event }));
        }
        done();
      },
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      tracker = null;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-signal', MarketSignalNode);
};
