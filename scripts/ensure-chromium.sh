#!/usr/bin/env bash
# Source this (or run it): makes a Chromium available for the ops board's browser tests
# (test/integration/board.test.ts drives it with playwright-core; no browser is downloaded by npm).
# It comes from Debian's `chromium` package. When no Chromium is found:
#   - as root with apt-get (CI): apt-get install -y --no-install-recommends chromium;
#   - otherwise: says what to install and returns 1 (CI must not skip; a laptop may).
# Exports SCANQ_CHROMIUM with the binary's path; the test reads it (default: chromium on PATH).
_scanq_find_chromium() {
  if [[ -n "${SCANQ_CHROMIUM:-}" && -x "${SCANQ_CHROMIUM}" ]]; then echo "$SCANQ_CHROMIUM"; return 0; fi
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}
if ! _scanq_find_chromium >/dev/null; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium missing: apt-get install -y chromium (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } </dev/null >&2; then
      echo "apt-get install chromium failed" >&2
    fi
  else
    echo "chromium is missing: install Debian's 'chromium' package (apt-get install chromium) or set SCANQ_CHROMIUM to a Chromium binary" >&2
  fi
fi
if SCANQ_CHROMIUM="$(_scanq_find_chromium)"; then
  export SCANQ_CHROMIUM
  echo "using $("$SCANQ_CHROMIUM" --version 2>/dev/null | head -1) at $SCANQ_CHROMIUM" >&2
else
  return 1 2>/dev/null || exit 1
fi
