#!/usr/bin/env node
// `npm start`: Node-RED 4 on http://127.0.0.1:1880 with this pack loaded from the working tree and,
// on first start, the simulator demo flow deployed. Uses .node-red/ (git-ignored) as user directory.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const userDir = process.env.MARKET_STREAM_USER_DIR ? path.resolve(process.env.MARKET_STREAM_USER_DIR) : path.join(root, '.node-red');
const port = Number(process.env.PORT || 1880);
const require = createRequire(import.meta.url);

fs.mkdirSync(path.join(userDir, 'node_modules', '@market-stream'), { recursive: true });
const link = path.join(userDir, 'node_modules', '@market-stream', 'node-red');
if (!fs.existsSync(link)) fs.symlinkSync(root, link, 'dir');

const settingsFile = path.join(userDir, 'settings.js');
fs.writeFileSync(
  settingsFile,
  `// Written by scripts/start.mjs on every start; edit that script instead.
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: ${port},
    flowFile: "flows.json",
    flowFilePretty: true,
    diagnostics: { enabled: true, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: "info", metrics: false, audit: false } }
};
`,
);

const flowFile = path.join(userDir, 'flows.json');
if (!fs.existsSync(flowFile)) {
  fs.copyFileSync(path.join(root, 'examples', 'simulator-live-quotes-and-trades.json'), flowFile);
  console.log(`[market-stream] deployed the simulator demo flow into ${path.relative(root, flowFile)}`);
}

const red = require.resolve('node-red/red.js');
console.log(`[market-stream] starting Node-RED: open http://127.0.0.1:${port} and watch the debug sidebar`);
const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', settingsFile], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
