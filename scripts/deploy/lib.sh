#!/usr/bin/env bash
# Source this: helpers that install the deploy validators once into .tools/ (git-ignored) from the
# reachable registries (PyPI, the Go module proxy, Debian) and put them first on PATH.
SCANQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCANQ_TOOLS="$SCANQ_ROOT/.tools"
export GOBIN="$SCANQ_TOOLS/bin"
export PATH="$GOBIN:$SCANQ_TOOLS/checkov/bin:$PATH"
mkdir -p "$GOBIN"

say() { echo "check:deploy: $*" >&2; }

# ensure_go_tool NAME MODULE_PATH@VERSION — builds a Go command into .tools/bin unless it is there.
ensure_go_tool() {
  local name="$1" module="$2"
  if [[ -x "$GOBIN/$name" ]]; then return 0; fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build $name ($module)"; return 1; }
  say "building $name from $module (first use only)…"
  CGO_ENABLED=0 go install "$module" >&2
}

# ensure_checkov — a pinned checkov in its own virtualenv (.tools/checkov).
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
ensure_checkov() {
  local venv="$SCANQ_TOOLS/checkov" marker="$SCANQ_TOOLS/checkov/.scanq-checkov-$CHECKOV_VERSION"
  if [[ -f "$marker" ]]; then return 0; fi
  say "installing checkov $CHECKOV_VERSION into $venv (first use only)…"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
  touch "$marker"
}
