#!/usr/bin/env bash
# Source this: puts a Node.js >= 22.12 first on PATH. When the machine's node is older (or
# missing), installs Node 24 from the npm registry into .tools/node (once) and uses that.
_scanq_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_scanq_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if ! _scanq_node_ok; then
  _scanq_local="$_scanq_root/.tools/node/node_modules/.bin"
  if [[ ! -x "$_scanq_local/node" ]]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22.12: installing Node 24 into .tools/node" >&2
    command -v npm >/dev/null 2>&1 || { echo "npm is needed to install Node 24" >&2; return 1 2>/dev/null || exit 1; }
    npm install --prefix "$_scanq_root/.tools/node" --no-audit --no-fund --silent node@24 >&2
  fi
  export PATH="$_scanq_local:$PATH"
fi
echo "using node $(node --version) at $(command -v node)" >&2
