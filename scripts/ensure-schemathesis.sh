#!/usr/bin/env bash
# Source this (or run it): puts a pinned Schemathesis (PyPI `schemathesis`) first on PATH, for
# `npm run fuzz:api` and the API contract smoke test. Installed once into a virtualenv under the
# git-ignored .tools/, in a directory named after the version so a bump never reuses an old venv
# (.tools is shared between worktrees). Needs python3 >= 3.10 with the venv module.
SCANQ_SCHEMATHESIS_VERSION="${SCANQ_SCHEMATHESIS_VERSION:-4.32.5}"
_scanq_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_scanq_st_dir="$_scanq_root/.tools/schemathesis-$SCANQ_SCHEMATHESIS_VERSION"
# The marker is written last: a half-finished install (interrupted pip) is redone, never used.
if [[ ! -f "$_scanq_st_dir/.installed" ]]; then
  command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to install schemathesis" >&2; return 1 2>/dev/null || exit 1; }
  echo "installing schemathesis==$SCANQ_SCHEMATHESIS_VERSION into ${_scanq_st_dir#"$_scanq_root/"}" >&2
  rm -rf "$_scanq_st_dir"
  if python3 -m venv "$_scanq_st_dir" >&2 &&
    "$_scanq_st_dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCANQ_SCHEMATHESIS_VERSION" >&2; then
    touch "$_scanq_st_dir/.installed"
  else
    echo "pip install schemathesis==$SCANQ_SCHEMATHESIS_VERSION failed" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export PATH="$_scanq_st_dir/bin:$PATH"
echo "using $("$_scanq_st_dir/bin/st" --version 2>&1 | head -1) at $_scanq_st_dir/bin/st" >&2
