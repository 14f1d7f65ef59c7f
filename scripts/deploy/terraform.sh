#!/usr/bin/env bash
# Validates terraform/ offline: formatting, checkov (security), tflint (correctness, conventions).
# Installs what is missing once into .tools/ (git-ignored) from the reachable registries:
#   checkov  pinned in lib.sh, from PyPI into .tools/checkov
#   tflint   TFLINT_MODULE, built from the Go module proxy into .tools/bin (bundled terraform ruleset)
#   tofu     TOFU_MODULE, built from the Go module proxy into .tools/bin, only when no `terraform`
#            binary is on PATH (the formatter)
# Prints each tool's counts and exits non-zero when any of them fails (all of them run).
#
#   bash scripts/deploy/terraform.sh
#   SCANQ_TF_FORMATTER=tofu bash scripts/deploy/terraform.sh   # format-check with tofu even if terraform exists
#
# Not run: `terraform validate`. It needs `terraform init`, which downloads the AWS provider from
# registry.terraform.io; that registry is not reachable from this project's machines or CI.
# Not installed: tflint-ruleset-aws. It is published as GitHub release binaries and its Go module
# is not served by the Go module proxy (403), so it cannot be built here either (docs/DEPLOY.md).
set -euo pipefail

# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TF_DIR="$SCANQ_ROOT/terraform"
TFLINT_MODULE="github.com/terraform-linters/tflint@v0.64.0"
TOFU_MODULE="github.com/opentofu/opentofu@v1.12.6" # go 1.26.6 in its go.mod: builds with go1.26.8
FORMATTER="${SCANQ_TF_FORMATTER:-auto}"

# A TF_CLI_CONFIG_FILE naming a missing file only makes terraform/tofu warn on every call.
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then unset TF_CLI_CONFIG_FILE; fi

# ensure_tofu — OpenTofu's go.mod has replace directives, so `go install module@version` refuses
# it: download the module's source through the proxy and build cmd/tofu inside it.
ensure_tofu() {
  if [[ -x "$GOBIN/tofu" ]]; then return 0; fi
  command -v go >/dev/null 2>&1 || { say "Go is needed to build tofu ($TOFU_MODULE)"; return 1; }
  say "building tofu from $TOFU_MODULE (first use only, a few minutes)…"
  local dir
  dir="$(go mod download -json "$TOFU_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || { say "could not download $TOFU_MODULE"; return 1; }
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$GOBIN/tofu" ./cmd/tofu) >&2
}

failed=()
summary=()

# --- 1. formatting --------------------------------------------------------------------------------
if [[ "$FORMATTER" == auto ]]; then
  if command -v terraform >/dev/null 2>&1; then FORMATTER=terraform; else FORMATTER=tofu; fi
fi
case "$FORMATTER" in
  terraform) fmt_bin="$(command -v terraform)" ;;
  tofu) ensure_tofu && fmt_bin="$GOBIN/tofu" ;;
  *) say "SCANQ_TF_FORMATTER must be auto, terraform or tofu"; exit 2 ;;
esac
# sed -n 1p, not head -n 1: it reads to the end, so the writer never dies of SIGPIPE (pipefail).
fmt_version="$("$fmt_bin" version 2>/dev/null | sed -n 1p)"
tf_files="$(find "$TF_DIR" -name '*.tf' -not -path '*/.terraform/*' | wc -l | tr -d ' ')"
say "fmt: $fmt_version"
fmt_rc=0
unformatted="$("$fmt_bin" fmt -check -recursive -list=true "$TF_DIR")" || fmt_rc=$?
if [[ -n "$unformatted" ]]; then
  printf '%s\n' "$unformatted" | sed 's/^/  needs formatting: /' >&2
fi
fmt_bad=0
[[ -z "$unformatted" ]] || fmt_bad="$(printf '%s\n' "$unformatted" | wc -l | tr -d ' ')"
summary+=("fmt ($fmt_version): Files checked: $tf_files, Need formatting: $fmt_bad")
if ((fmt_rc != 0 || fmt_bad != 0)); then failed+=(fmt); fi

# --- 2. checkov -----------------------------------------------------------------------------------
ensure_checkov
checkov_version="$(checkov --version)"
say "checkov $checkov_version (config terraform/.checkov.yaml, skips explained in terraform/CHECKOV-SKIPS.md)"
checkov_rc=0
# LOG_LEVEL is checkov's own here: its warnings about expressions it cannot evaluate are noise.
checkov_out="$(LOG_LEVEL=ERROR checkov -d "$TF_DIR" --config-file "$TF_DIR/.checkov.yaml" 2>&1)" || checkov_rc=$?
printf '%s\n' "$checkov_out" | grep -E '^(Check:|[[:space:]]+(FAILED|File:))' >&2 || true
checkov_counts="$(printf '%s\n' "$checkov_out" | grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+' | sed -n 1p || true)"
if [[ -z "$checkov_counts" ]]; then
  printf '%s\n' "$checkov_out" | tail -n 20 >&2
  checkov_counts="no summary (checkov exited $checkov_rc)"
  checkov_rc=${checkov_rc/#0/1}
fi
summary+=("checkov $checkov_version: $checkov_counts")
if ((checkov_rc != 0)); then failed+=(checkov); fi

# --- 3. tflint ------------------------------------------------------------------------------------
ensure_go_tool tflint "$TFLINT_MODULE"
tflint_version="$(tflint --version | sed -n '1s/^TFLint version //p')"
say "tflint $tflint_version (terraform/.tflint.hcl: bundled terraform ruleset, preset all)"
tflint_rc=0
# --config with an absolute path: --recursive otherwise looks for .tflint.hcl in each module.
tflint_out="$(tflint --chdir "$TF_DIR" --recursive --config "$TF_DIR/.tflint.hcl" \
  --format compact --minimum-failure-severity=notice 2>&1)" || tflint_rc=$?
[[ -z "$tflint_out" ]] || printf '%s\n' "$tflint_out" >&2
tflint_issues="$(printf '%s\n' "$tflint_out" | grep -cE ':[0-9]+:[0-9]+: (Error|Warning|Notice) - ' || true)"
modules="$(find "$TF_DIR" -name '*.tf' -not -path '*/.terraform/*' -exec dirname {} \; | sort -u | wc -l | tr -d ' ')"
summary+=("tflint $tflint_version: Modules checked: $modules, Issues: $tflint_issues")
if ((tflint_rc != 0 || tflint_issues != 0)); then failed+=(tflint); fi

# --- 4. terraform validate: not run (see the header) ---------------------------------------------
summary+=("terraform validate: skipped (needs the AWS provider from registry.terraform.io, unreachable here)")

echo "terraform.sh summary:"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "terraform.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "terraform.sh: OK"
