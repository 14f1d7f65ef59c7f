{{/*
Helpers of the scanq chart. A "component context" is the dict
  (dict "root" $ "proc" "<api|worker|scheduler|sweeper>" "p" (index $.Values "<proc>"))
that the per-process templates pass around.
*/}}

{{/* The processes, in the order they are rendered. */}}
{{- define "scanq.processes" -}}
api worker scheduler sweeper
{{- end }}

{{- define "scanq.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* {release}-{chart}, or fullnameOverride; at most 52 characters so "-scheduler" still fits in 63. */}}
{{- define "scanq.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of a process's resources (Deployment, ServiceAccount, PDB, …): {fullname}-{proc}. */}}
{{- define "scanq.componentName" -}}
{{- printf "%s-%s" (include "scanq.fullname" .root) .proc }}
{{- end }}

{{- define "scanq.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scanq.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scanq.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .proc }}
{{- end }}

{{- define "scanq.labels" -}}
helm.sh/chart: {{ include "scanq.chart" .root }}
{{ include "scanq.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: scanq
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* The image reference: repository@digest when a digest is set, else repository:tag. */}}
{{- define "scanq.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $image.digest) }}
{{- fail (printf "image.digest must be sha256:<64 hex digits>, not %q" $image.digest) }}
{{- end }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- $tag := default .Chart.AppVersion $image.tag | toString }}
{{- if eq $tag "latest" }}
{{- fail "image.tag must name a release (or set image.digest), not `latest`" }}
{{- end }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The worker's drain, both derived from worker.drainSeconds so they cannot disagree:
SCANQ_DRAIN_TIMEOUT ("<drainSeconds>s") and terminationGracePeriodSeconds (drainSeconds + drainMarginSeconds).
*/}}
{{- define "scanq.worker.drainTimeout" -}}
{{- printf "%ds" (int .Values.worker.drainSeconds) }}
{{- end }}

{{- define "scanq.worker.terminationGracePeriodSeconds" -}}
{{- add (int .Values.worker.drainSeconds) (int .Values.worker.drainMarginSeconds) }}
{{- end }}

{{/* Variables that hold secrets: only ever from a Secret (secretEnv), never from a plain value. */}}
{{- define "scanq.secretNames" -}}
SCANQ_JWT_SECRET SCANQ_CALLBACK_SECRET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
{{- end }}

{{/*
The process's plain variables as a JSON object: `env` overridden by `<proc>.env`, empty values
dropped. Every name comes from values.yaml.
*/}}
{{- define "scanq.plainEnv" -}}
{{- $env := dict }}
{{- range $name, $value := (default dict .root.Values.env) }}{{ $_ := set $env $name $value }}{{ end }}
{{- range $name, $value := (default dict .p.env) }}{{ $_ := set $env $name $value }}{{ end }}
{{- $out := dict }}
{{- range $name, $value := $env }}
{{- if not (regexMatch "^[A-Z][A-Z0-9_]*$" $name) }}
{{- fail (printf "env: %q is not an environment variable name" $name) }}
{{- end }}
{{- if has $name (splitList " " (include "scanq.secretNames" $.root)) }}
{{- fail (printf "env.%s holds a secret: give it in secretEnv (a Kubernetes Secret), never as a value" $name) }}
{{- end }}
{{- if kindIs "map" $value }}
{{- fail (printf "env.%s must be a string" $name) }}
{{- end }}
{{- if kindIs "slice" $value }}
{{- fail (printf "env.%s must be a string" $name) }}
{{- end }}
{{- if and (ne (toString $value) "") (ne (toString $value) "<nil>") }}
{{- $_ := set $out $name (toString $value) }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* The container's env list. */}}
{{- define "scanq.env" -}}
{{- $plain := include "scanq.plainEnv" . | fromJson }}
{{- $secret := dict }}
{{- range $name, $ref := (default dict .root.Values.secretEnv) }}{{ $_ := set $secret $name $ref }}{{ end }}
{{- range $name, $ref := (default dict .p.secretEnv) }}{{ $_ := set $secret $name $ref }}{{ end }}
{{- if and (eq .proc "worker") (hasKey $plain "SCANQ_DRAIN_TIMEOUT") }}
{{- fail "worker.env.SCANQ_DRAIN_TIMEOUT: set worker.drainSeconds instead (it also sets terminationGracePeriodSeconds)" }}
{{- end }}
{{- range $name, $value := $plain }}
{{- if hasKey $secret $name }}
{{- fail (printf "%s is set both in env and in secretEnv" $name) }}
{{- end }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- if eq .proc "worker" }}
- name: SCANQ_DRAIN_TIMEOUT
  value: {{ include "scanq.worker.drainTimeout" .root | quote }}
{{- end }}
{{- range $name, $ref := $secret }}
{{- if not (regexMatch "^[A-Z][A-Z0-9_]*$" $name) }}
{{- fail (printf "secretEnv: %q is not an environment variable name" $name) }}
{{- end }}
{{- if not (and (kindIs "map" $ref) $ref.name $ref.key) }}
{{- fail (printf "secretEnv.%s needs {name: <secret>, key: <key>}" $name) }}
{{- end }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}

{{/* The port a process serves: the api's SCANQ_API_PORT, the others' SCANQ_STATUS_PORT. */}}
{{- define "scanq.port" -}}
{{- $plain := include "scanq.plainEnv" . | fromJson }}
{{- $var := ternary "SCANQ_API_PORT" "SCANQ_STATUS_PORT" (eq .proc "api") }}
{{- $port := get $plain $var }}
{{- if not (regexMatch "^[1-9][0-9]{0,4}$" (toString $port)) }}
{{- fail (printf "%s.env.%s must be set to a port number: the probes use it" .proc $var) }}
{{- end }}
{{- $port }}
{{- end }}

{{/* The ServiceAccount annotations of a process. */}}
{{- define "scanq.serviceAccountAnnotations" -}}
{{- $aws := .root.Values.aws }}
{{- $annotations := deepCopy (default dict .root.Values.serviceAccountAnnotations) }}
{{- if eq $aws.identity "irsa" }}
{{- $arn := get (default dict $aws.roleArns) .proc }}
{{- if not (regexMatch "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$" (toString $arn)) }}
{{- fail (printf "aws.identity=irsa needs aws.roleArns.%s (terraform output role_arns), got %q" .proc (toString $arn)) }}
{{- end }}
{{- $_ := set $annotations "eks.amazonaws.com/role-arn" $arn }}
{{- else if not (has $aws.identity (list "pod-identity" "none")) }}
{{- fail (printf "aws.identity must be irsa, pod-identity or none, not %q" $aws.identity) }}
{{- end }}
{{- if $annotations }}
{{- toYaml $annotations }}
{{- end }}
{{- end }}
