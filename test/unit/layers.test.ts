/**
 * The layering of docs/architecture.md ("Layers"), checked on the TypeScript sources: every
 * relative import of a file in src/ or nodes/ must point at a layer its own layer may use. A
 * wrong-way import (the transport reaching into a provider, one provider room into another, a
 * node into a core file past the public index) fails `npm test`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/** Layer → the layers it may import (itself always). Order = bottom to top. */
export const LAYER_RULES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['model', []],
  ['book', ['model']],
  ['transport', ['model']],
  ['analytics', ['model']],
  ['recording', ['model']],
  ['alerts', ['model']],
  ['providers/shared', ['model', 'book', 'transport']],
  ['providers/<room>', ['model', 'book', 'transport', 'providers/shared']],
  ['providers/registry', ['model', 'providers/<room>']],
  ['session', ['model', 'transport']],
  ['trading', ['model', 'book', 'transport', 'session', 'providers/registry']],
  ['index', ['model', 'book', 'transport', 'analytics', 'alerts', 'providers/shared', 'providers/<room>', 'providers/registry', 'session', 'trading', 'recording']],
  ['nodes/shared', ['index']],
  ['nodes/<node>', ['index', 'nodes/shared']],
];

interface Place {
  layer: string;
  /** The provider room or node folder, where the layer has several. */
  unit?: string;
}

/** Where a file (path relative to the repository, with or without .ts) sits in the layering; null outside src/ and nodes/. */
export function placeOf(file: string): Place | null {
  const parts = file.replace(/\\/g, '/').replace(/\.ts$/, '').split('/');
  if (parts[0] === 'src') {
    if (parts.length === 2) return parts[1] === 'index' ? { layer: 'index' } : { layer: `src-root:${parts[1]}` };
    if (parts[1] !== 'providers') return { layer: parts[1] as string };
    if (parts.length === 3) return parts[2] === 'registry' ? { layer: 'providers/registry' } : { layer: `providers-root:${parts[2]}` };
    if (parts[2] === 'shared') return { layer: 'providers/shared' };
    return { layer: 'providers/<room>', unit: parts[2] as string };
  }
  if (parts[0] === 'nodes' && parts.length >= 3) {
    if (parts[1] === 'shared') return { layer: 'nodes/shared' };
    return { layer: 'nodes/<node>', unit: parts[1] as string };
  }
  return null;
}

/** Why an import from `from` of `to` (both repository paths) breaks the layering, or null. */
export function importProblem(from: string, to: string): string | null {
  const source = placeOf(from);
  const target = placeOf(to.endsWith('/index') ? to : to);
  if (!source) return null;
  if (!target) return `${from} imports ${to}, outside src/ and nodes/`;
  const rule = LAYER_RULES.find(([layer]) => layer === source.layer);
  if (!rule) return `${from} is in no layer of docs/architecture.md (${source.layer})`;
  if (target.layer === source.layer) {
    if (source.unit !== undefined && target.unit !== source.unit) return `${from} imports another ${source.layer.split('/')[0]} folder's ${to}: rooms are self-contained`;
    return null;
  }
  if (!rule[1].includes(target.layer)) return `${from} (${source.layer}) imports ${to} (${target.layer}); ${source.layer} may import ${rule[1].join(', ') || 'nothing else'}`;
  return null;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative import specifiers of a TypeScript file, resolved to repository paths (no extension; a folder import ends in /index). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'(\.[^']*)'/g)].map((match) => match[1] as string);
  return specs.map((spec) => {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    return fs.existsSync(path.join(ROOT, `${resolved}.ts`)) ? resolved : `${resolved}/index`;
  });
}

describe('layers (docs/architecture.md)', () => {
  it('every import in src/ and nodes/ points down the layering; rooms never import each other', () => {
    const problems: string[] = [];
    const files = [...sourceFiles('src'), ...sourceFiles('nodes')];
    assert.ok(files.length > 50, `found only ${files.length} source files: is ROOT right?`);
    for (const file of files) {
      for (const target of importsOf(file)) {
        const problem = importProblem(file, target);
        if (problem) problems.push(problem);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('reports wrong-way imports, rooms reaching into rooms and nodes past the index', () => {
    assert.match(importProblem('src/transport/resilient-socket.ts', 'src/providers/kraken/adapter') ?? '', /transport may import model/);
    assert.match(importProblem('src/model/provider.ts', 'src/transport/clock') ?? '', /model may import nothing else/);
    assert.match(importProblem('src/providers/schwab/index.ts', 'src/providers/tastytrade/tokens') ?? '', /rooms are self-contained/);
    assert.match(importProblem('src/providers/shared/dxlink/stream.ts', 'src/providers/tastytrade/index') ?? '', /\(providers\/shared\) imports/);
    assert.match(importProblem('nodes/stream-in/stream-in.ts', 'src/session/feed-session') ?? '', /nodes\/<node>.*may import index/);
    assert.match(importProblem('nodes/stream-in/stream-in.ts', 'nodes/provider-config/types') ?? '', /rooms are self-contained/);
    assert.equal(importProblem('src/providers/kraken/adapter.ts', 'src/providers/kraken/decode'), null);
    assert.equal(importProblem('src/providers/kraken/adapter.ts', 'src/providers/shared/venue-socket'), null);
    assert.equal(importProblem('nodes/stream-in/stream-in.ts', 'src/index'), null);
  });

  it('the layering itself has no cycle', () => {
    const seen = new Set<string>();
    for (const [layer, allowed] of LAYER_RULES) {
      for (const below of allowed) assert.ok(seen.has(below), `${layer} may import ${below}, which is not below it`);
      seen.add(layer);
    }
  });
});
