#!/usr/bin/env bash
# Source this (or run it): makes `prometheus` and `promtool` available for the observability test
# and `npm run check:ops`. They come from Debian's `prometheus` package (the issue asks for a real
# server, not a look-alike). When either is missing:
#   - as root (CI runs as root, CI=true, no stdin): apt-get install -y --no-install-recommends prometheus,
#     without starting the packaged service (policy-rc.d) — tests start their own server;
#   - otherwise: says what to install and returns 1 (CI must not skip; a laptop may).
# The packaged service is never started or enabled: tests run their own server on a free port.
_scanq_have_prometheus() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }
if ! _scanq_have_prometheus; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "prometheus/promtool missing: apt-get install -y prometheus (Debian package)" >&2
    _scanq_policy=/usr/sbin/policy-rc.d
    _scanq_had_policy=0
    if [[ -e "$_scanq_policy" ]]; then _scanq_had_policy=1; fi
    # Exit 101 = "action not allowed": the package's postinst does not start the daemon.
    if ((_scanq_had_policy == 0)); then printf '#!/bin/sh\nexit 101\n' >"$_scanq_policy" && chmod +x "$_scanq_policy"; fi
    export DEBIAN_FRONTEND=noninteractive
    # Under the caller's `set -e` a failure must still remove the policy file: test it explicitly.
    if { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; } </dev/null >&2; then
      _scanq_apt=0
    else
      _scanq_apt=$?
    fi
    if ((_scanq_had_policy == 0)); then rm -f "$_scanq_policy"; fi
    if ((_scanq_apt != 0)); then echo "apt-get install prometheus failed (exit $_scanq_apt)" >&2; fi
  else
    echo "prometheus and promtool are missing: install Debian's 'prometheus' package (apt-get install prometheus) or put both on PATH" >&2
  fi
fi
if _scanq_have_prometheus; then
  echo "using $(prometheus --version 2>&1 | head -1) at $(command -v prometheus)" >&2
else
  return 1 2>/dev/null || exit 1
fi
