#!/usr/bin/env node
// Copies each node's editor HTML, locales and icons next to its compiled .js in dist/nodes/<node>/,
// where Node-RED looks for them (icons only in an icons/ folder beside the node file).
// nodes/shared is code the node types share and has none of these.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nodesDir = path.join(root, 'nodes');
const iconsDir = path.join(root, 'icons');

for (const name of fs.readdirSync(nodesDir)) {
  const source = path.join(nodesDir, name);
  if (!fs.statSync(source).isDirectory()) continue;
  const target = path.join(root, 'dist', 'nodes', name);
  fs.mkdirSync(target, { recursive: true });
  for (const file of fs.readdirSync(source)) {
    if (file.endsWith('.html')) fs.copyFileSync(path.join(source, file), path.join(target, file));
  }
  const locales = path.join(source, 'locales');
  if (fs.existsSync(locales)) fs.cpSync(locales, path.join(target, 'locales'), { recursive: true });
  // Copy the icons this node's editor file names.
  const html = fs.readdirSync(source).filter((f) => f.endsWith('.html')).map((f) => fs.readFileSync(path.join(source, f), 'utf8')).join('\n');
  for (const match of html.matchAll(/icon\s*:\s*["']([^"'/]+\.(?:svg|png))["']/g)) {
    const icon = match[1];
    fs.mkdirSync(path.join(target, 'icons'), { recursive: true });
    fs.copyFileSync(path.join(iconsDir, icon), path.join(target, 'icons', icon));
  }
}
