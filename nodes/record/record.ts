/**
 * market-record: writes the normalized events it receives to an NDJSON recording (gzip optional,
 * rotating by day or size) that the `replay` provider plays back. The file work is Recorder
 * (src/recording); this glue resolves the path, shows the status and closes the file on close.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Recorder, isRecordableEvent, parseRecordConfig } from '../../src';
import { showConfigError } from '../shared/config-error';

type RecordNodeDef = NodeDef & Record<string, unknown>;

const STATUS_EVERY_MS = 1_000;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACK_VERSION = (require('../../../package.json') as { version: string }).version;

export = function (RED: NodeAPI): void {
  function MarketRecordNode(this: Node, config: RecordNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let recorder: Recorder | null = null;
    let timer: NodeJS.Timeout | null = null;
    let shown = '';

    const showStatus = (): void => {
      if (!recorder) return;
      const { written, dropped } = recorder.stats();
      let status: { fill: 'red' | 'yellow' | 'green' | 'grey'; shape: 'dot' | 'ring'; text: string };
      if (recorder.failing) status = { fill: 'red', shape: 'dot', text: RED._('market-record.status.writeError') };
      else if (dropped > 0) status = { fill: 'yellow', shape: 'dot', text: RED._('market-record.status.dropped', { dropped }) };
      else if (written > 0) status = { fill: 'green', shape: 'dot', text: RED._('market-record.status.written', { written }) };
      else status = { fill: 'grey', shape: 'ring', text: RED._('market-record.status.idle') };
      const key = `${status.fill}|${status.text}`;
      if (key === shown) return;
      shown = key;
      node.status(status);
    };

    try {
      const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
      const settings = parseRecordConfig(config, userDir);
      recorder = new Recorder({
        ...settings,
        pack: PACK_VERSION,
        now: () => Date.now(),
        onError: (err, file) => {
          const text = RED._('market-record.errors.write', { file, reason: err.message });
          node.error(text, { topic: 'error', payload: { type: 'status', state: 'error', detail: text } });
          showStatus();
        },
      });
      timer = setInterval(showStatus, STATUS_EVERY_MS);
      showStatus();
    } catch (err) {
      showConfigError(RED, node, err);
    }

    node.on('input', (msg, _send, done) => {
      if (!recorder) {
        done(new Error(RED._('market-record.errors.notRunning')));
        return;
      }
      // Status, health and notice msgs share the stream: only market events are recorded.
      if (isRecordableEvent(msg.payload)) recorder.write(msg.payload);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      const closing = recorder;
      recorder = null;
      node.status({});
      if (!closing) {
        done();
        return;
      }
      closing.close().then(
        () => done(),
        (err: unknown) => {
          node.warn(`market-record: closing the file failed: ${err instanceof Error ? err.message : String(err)}`);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('market-record', MarketRecordNode);
};
