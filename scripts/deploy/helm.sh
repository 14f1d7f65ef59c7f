#!/usr/bin/env bash
# Validates the Helm chart deploy/helm/scanq, offline but for the package registries:
#   1. installs once into .tools/ (git-ignored): helm and kubeconform built from their Go modules,
#      the Kubernetes JSON schemas generated from the OpenAPI spec in the k8s.io/kubernetes module,
#      the KEDA CRD schemas from the github.com/kedacore/keda/v2 module, and checkov (PyPI);
#   2. helm lint --strict with the default values and with every value set in deploy/helm/scanq/ci/;
#   3. helm template of the same value sets → kubeconform -strict (every kind must have a schema)
#      and checkov (skips, each with its reason, in deploy/helm/.checkov.yaml).
# Prints each tool's summary and exits non-zero on any failure.
set -euo pipefail
# shellcheck source=scripts/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELM_MODULE="helm.sh/helm/v4"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
KUBECONFORM_MODULE="github.com/yannh/kubeconform"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
# The Kubernetes release whose API the manifests are checked against (helm v4.3.2 builds with the
# k8s.io libraries of 1.36/1.37), and the KEDA release whose CRDs the chart targets.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.3}"
KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"

CHART="$SCANQ_ROOT/deploy/helm/scanq"
CHECKOV_CONFIG="$SCANQ_ROOT/deploy/helm/.checkov.yaml"
SCHEMAS="$SCANQ_TOOLS/schemas"
K8S_SCHEMAS="$SCHEMAS/kubernetes-$KUBERNETES_VERSION"
KEDA_SCHEMAS="$SCHEMAS/keda-$KEDA_VERSION"
RENDER="$SCANQ_TOOLS/helm-render"
RELEASE="scanq"
NAMESPACE="scanq"

failures=()
fail() { failures+=("$1"); say "FAILED: $1"; }

# ensure_pinned_go_tool NAME MODULE VERSION — ensure_go_tool, but rebuilds a binary of another version.
ensure_pinned_go_tool() {
  local name="$1" module="$2" version="$3" built=""
  if [[ -x "$GOBIN/$name" ]]; then
    built="$(go version -m "$GOBIN/$name" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')"
    if [[ "$built" != "$version" ]]; then
      say "$name is ${built:-of an unknown version}, want $version: rebuilding"
      rm -f "$GOBIN/$name"
    fi
  fi
  ensure_go_tool "$name" "$module/cmd/$name@$version"
}

# module_dir MODULE@VERSION — the module's source directory in the Go module cache (downloads it once).
module_dir() {
  local json
  json="$(cd "$SCANQ_TOOLS" && GOFLAGS=-mod=mod go mod download -json "$1")"
  "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); sys.exit(d["Error"]) if d.get("Error") else print(d["Dir"])' <<<"$json"
}

ensure_schemas() {
  local marker k8s keda
  marker="$SCHEMAS/.scanq-schemas-$KUBERNETES_VERSION-$KEDA_VERSION-$(sha256sum "$SCANQ_ROOT/scripts/deploy/helm-schemas.py" | cut -c1-12)"
  if [[ -f "$marker" ]]; then return 0; fi
  say "generating Kubernetes $KUBERNETES_VERSION and KEDA $KEDA_VERSION schemas (first use only)…"
  k8s="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  keda="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  rm -rf "$SCHEMAS"
  "$PYTHON" "$SCANQ_ROOT/scripts/deploy/helm-schemas.py" k8s "$k8s/api/openapi-spec/swagger.json" "$K8S_SCHEMAS"
  "$PYTHON" "$SCANQ_ROOT/scripts/deploy/helm-schemas.py" crd "$k8s/api/openapi-spec/swagger.json" "$KEDA_SCHEMAS" \
    "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" \
    "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml" \
    "$keda/config/crd/bases/keda.sh_clustertriggerauthentications.yaml" \
    "$keda/config/crd/bases/keda.sh_scaledjobs.yaml"
  touch "$marker"
}

kubeconform_run() {
  kubeconform -strict -summary \
    -schema-location "$K8S_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$KEDA_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}

# --- 1. tools -------------------------------------------------------------------------------------
ensure_pinned_go_tool helm "$HELM_MODULE" "$HELM_VERSION"
ensure_pinned_go_tool kubeconform "$KUBECONFORM_MODULE" "$KUBECONFORM_VERSION"
ensure_checkov
PYTHON="$SCANQ_TOOLS/checkov/bin/python" # has PyYAML (a checkov dependency) for the CRD files
ensure_schemas
say "tools: helm $HELM_VERSION ($HELM_MODULE), kubeconform $KUBECONFORM_VERSION ($KUBECONFORM_MODULE)," \
  "checkov $(checkov --version), schemas of Kubernetes $KUBERNETES_VERSION and KEDA $KEDA_VERSION"

# Strictness of the generated schemas: an unknown field must be rejected, in a built-in kind and in a
# KEDA kind alike, or "-strict" would mean nothing.
selftest="$(mktemp --suffix=.yaml)" # kubeconform reads only *.yaml, *.yml, *.json
trap 'rm -f "$selftest"' EXIT
cat >"$selftest" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: selftest}
spec:
  selector: {matchLabels: {app: selftest}}
  template:
    metadata: {labels: {app: selftest}}
    spec:
      containers: [{name: c, image: "i:1", imagePullPolicyy: Always}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: selftest}
spec:
  scaleTargetRef: {name: selftest}
  triggers: [{type: aws-sqs-queue, metadata: {queueURL: u}, authenticationReff: {name: a}}]
YAML
if selftest_out="$(kubeconform_run "$selftest" 2>&1)" ||
  ! grep -q "Invalid: 2" <<<"$selftest_out"; then
  echo "$selftest_out" >&2
  fail "schema self-test: kubeconform -strict did not reject both misspelt fields"
else
  say "schema self-test: kubeconform -strict rejects a misspelt field in a Deployment and in a ScaledObject"
fi

# --- 2. helm lint ---------------------------------------------------------------------------------
# The value sets: the defaults ("") and each deploy/helm/scanq/ci/*-values.yaml.
value_sets=("")
while IFS= read -r file; do value_sets+=("$file"); done < <(find "$CHART/ci" -name '*-values.yaml' | sort)
values_args() { if [[ -n "$1" ]]; then printf '%s\0' --values "$1"; fi; }
set_name() { if [[ -n "$1" ]]; then basename "$1" .yaml; else echo default-values; fi; }

for file in "${value_sets[@]}"; do
  mapfile -d '' -t args < <(values_args "$file")
  if out="$(helm lint --strict "$CHART" "${args[@]}" 2>&1)"; then
    say "helm lint --strict ($(set_name "$file")): $(grep -E 'chart\(s\) linted' <<<"$out")"
    grep -E '^\[(WARNING|ERROR)\]' <<<"$out" >&2 || true
  else
    echo "$out" >&2
    fail "helm lint ($(set_name "$file"))"
  fi
done

# --- 3. helm template → kubeconform, checkov ----------------------------------------------------
rm -rf "$RENDER"
mkdir -p "$RENDER"
for file in "${value_sets[@]}"; do
  mapfile -d '' -t args < <(values_args "$file")
  if ! helm template "$RELEASE" "$CHART" --namespace "$NAMESPACE" "${args[@]}" >"$RENDER/$(set_name "$file").yaml"; then
    fail "helm template ($(set_name "$file"))"
  fi
done
renders=("$RENDER"/*.yaml)
say "rendered ${#renders[@]} value sets into ${RENDER#"$SCANQ_ROOT"/}: $(basename -a "${renders[@]}" | tr '\n' ' ')"

if out="$(kubeconform_run "${renders[@]}" 2>&1)" && grep -q 'Valid: [1-9]' <<<"$out"; then
  say "kubeconform: $(grep '^Summary:' <<<"$out")"
else
  echo "$out" >&2
  fail "kubeconform"
fi

# checkov from deploy/helm, so its .checkov.yaml (not one of another directory) is the config. The
# files are named one by one: checkov skips directories whose name starts with a dot (.tools).
checkov_files=()
for file in "${renders[@]}"; do checkov_files+=(-f "$file"); done
if out="$(cd "$SCANQ_ROOT/deploy/helm" && checkov --config-file "$CHECKOV_CONFIG" "${checkov_files[@]}" 2>&1)" &&
  grep -q 'Passed checks: [1-9]' <<<"$out"; then
  say "checkov (${#renders[@]} files): $(grep -E 'Passed checks: ' <<<"$out" | tr '\n' ' ')"
else
  echo "$out" >&2
  fail "checkov"
fi
say "checkov skips (reasons in ${CHECKOV_CONFIG#"$SCANQ_ROOT"/}): $(awk '/^skip-check:/{s=1; next} s && /^  - /{printf "%s ", $2}' "$CHECKOV_CONFIG")"

# The digest skip is for tag-pinned renders only: the digest-pinned one must pass CKV_K8S_43 alone.
if out="$(cd "$SCANQ_TOOLS" && checkov --framework kubernetes --compact --skip-download --check CKV_K8S_43 \
  -f "$RENDER/full-values.yaml" 2>&1)" && grep -q 'Passed checks: [1-9]' <<<"$out"; then
  say "checkov CKV_K8S_43 on the digest-pinned render (full-values): $(grep -E 'Passed checks: ' <<<"$out")"
else
  echo "$out" >&2
  fail "checkov CKV_K8S_43 on the digest-pinned render"
fi

if ((${#failures[@]} > 0)); then
  say "${#failures[@]} failure(s): ${failures[*]}"
  exit 1
fi
say "helm chart OK"
