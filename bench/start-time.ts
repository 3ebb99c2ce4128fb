/**
 * What a new user waits for: runs `npm start` (build included) with a fresh user directory
 * and reports seconds until GET /nodes lists the pack, seconds until the first msg reaches the
 * debug sidebar, and debug msgs/s over a window. 127.0.0.1 only.
 *   node dist/bench/start-time.js [windowSeconds]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnNodeRed, waitForPack, watchComms } from '../test/helpers/node-red-process';

async function main(): Promise<void> {
  const windowS = Number(process.argv[2] ?? 10);
  const root = path.resolve(__dirname, '..', '..');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-stream-start-'));
  const port = await freePort();
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const nr = spawnNodeRed(npm, ['start', '--prefix', root], port, { PORT: String(port), MARKET_STREAM_USER_DIR: userDir });
  try {
    await waitForPack(nr, 120_000);
    const listedS = (Date.now() - started) / 1000;
    const comms = await watchComms(nr);
    while (comms.debug.length === 0) {
      if (Date.now() - started > 120_000) throw new Error(`no debug msg:\n${nr.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const firstDebugS = (comms.debug[0]!.at - started) / 1000;
    const windowStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
    const rate = comms.debug.filter((d) => d.at >= windowStart).length / ((Date.now() - windowStart) / 1000);
    comms.close();
    console.log(JSON.stringify({ npmStartToNodesListedS: listedS, npmStartToFirstDebugMsgS: firstDebugS, debugMsgsPerSec: Math.round(rate * 10) / 10, windowS }));
  } finally {
    await nr.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
