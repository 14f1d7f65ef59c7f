#!/usr/bin/env bash
# npm run check:deploy — every deploy validator, installed on first use into .tools/ (git-ignored):
# terraform (checkov, tflint, fmt) and the Helm chart (helm lint, helm template → kubeconform
# -strict with the Kubernetes and KEDA schemas, checkov on the rendered manifests).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
bash scripts/deploy/terraform.sh || status=1
bash scripts/deploy/helm.sh || status=1
if [[ $status -eq 0 ]]; then echo "check:deploy: all validators passed"; else echo "check:deploy: FAILED" >&2; fi
exit $status
