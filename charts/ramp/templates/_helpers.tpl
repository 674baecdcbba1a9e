{{/* The chart's name (nameOverride wins). */}}
{{- define "ramp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The objects' base name: fullnameOverride, else <release>-<name> (just <release> when it contains the name). */}}
{{- define "ramp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "ramp.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "ramp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "ramp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The selector labels of one component (api, worker, redis): pass (list $ "api"). */}}
{{- define "ramp.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "ramp.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "ramp.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{- define "ramp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ramp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- /* The API pods' ServiceAccount: their own, so they hold only the reads and the auth reviews. */ -}}
{{- define "ramp.apiServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-api" (include "ramp.serviceAccountName" .)) .Values.serviceAccount.apiName -}}
{{- else -}}
{{- default (include "ramp.serviceAccountName" .) .Values.serviceAccount.apiName -}}
{{- end -}}
{{- end -}}

{{/* Which Redis: "external" (a URL or an existing Secret) or "bundled"; fails on none or both. */}}
{{- define "ramp.redisMode" -}}
{{- $external := or .Values.redis.url .Values.redis.existingSecret -}}
{{- if and .Values.redis.url .Values.redis.existingSecret -}}
{{- fail "redis.url and redis.existingSecret: give one, not both" -}}
{{- else if and $external .Values.redis.bundled.enabled -}}
{{- fail "redis: an external Redis (redis.url or redis.existingSecret) and redis.bundled.enabled: set redis.bundled.enabled=false to use the external one" -}}
{{- else if $external -}}
external
{{- else if .Values.redis.bundled.enabled -}}
bundled
{{- else -}}
{{- fail "redis: no Redis: set redis.url or redis.existingSecret, or redis.bundled.enabled=true" -}}
{{- end -}}
{{- end -}}

{{/* The Secret and key holding the Redis URL. */}}
{{- define "ramp.redisSecretName" -}}
{{- default (printf "%s-redis-url" (include "ramp.fullname" .)) .Values.redis.existingSecret -}}
{{- end -}}
{{- define "ramp.redisSecretKey" -}}
{{- if .Values.redis.existingSecret -}}{{ .Values.redis.existingSecretKey }}{{- else -}}redis-url{{- end -}}
{{- end -}}

{{/* The Secret and key holding the static tokens. */}}
{{- define "ramp.tokensSecretName" -}}
{{- default (printf "%s-tokens" (include "ramp.fullname" .)) .Values.auth.staticTokens.existingSecret -}}
{{- end -}}
{{- define "ramp.tokensSecretKey" -}}
{{- if .Values.auth.staticTokens.existingSecret -}}{{ .Values.auth.staticTokens.existingSecretKey }}{{- else -}}tokens.yaml{{- end -}}
{{- end -}}

{{/* The pod security context every Ramp and Redis pod runs with (Pod Security Standards: restricted). */}}
{{- define "ramp.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ramp.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment and arguments both Ramp commands take (engineFlags.ts). */}}
{{- define "ramp.engineEnv" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "ramp.redisSecretName" . }}
      key: {{ include "ramp.redisSecretKey" . }}
{{- end -}}

{{- define "ramp.engineArgs" -}}
- --prefix={{ .Values.redis.prefix }}
- --queue={{ .Values.redis.queue }}
- --pod-security={{ .Values.podPolicy.level }}
{{- if .Values.podPolicy.file }}
- --pod-policy-file=/etc/ramp/config/pod-policy.yaml
{{- end }}
{{- if .Values.metricProviders.providers }}
- --providers-file=/etc/ramp/config/providers.yaml
{{- else if .Values.metricProviders.prometheusUrl }}
- --prometheus-url={{ .Values.metricProviders.prometheusUrl }}
{{- end }}
{{- if .Values.notifications.file }}
- --notifications-file=/etc/ramp/config/notifications.yaml
{{- end }}
{{- with .Values.watchNamespaces }}
- --namespaces={{ join "," . }}
{{- end }}
{{- end -}}

{{/* Volumes both Ramp Deployments mount: settings, provider and notifier credentials, /tmp. */}}
{{- define "ramp.engineVolumes" -}}
- name: config
  configMap:
    name: {{ include "ramp.fullname" . }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- range .Values.metricProviders.secrets }}
- name: provider-{{ .name }}
  secret:
    secretName: {{ .secretName }}
{{- end }}
{{- range .Values.notifications.secrets }}
- name: notifier-{{ .name }}
  secret:
    secretName: {{ .secretName }}
{{- end }}
{{- end -}}

{{- define "ramp.engineVolumeMounts" -}}
- name: config
  mountPath: /etc/ramp/config
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- range .Values.metricProviders.secrets }}
- name: provider-{{ .name }}
  mountPath: /etc/ramp/secrets/{{ .name }}
  readOnly: true
{{- end }}
{{- range .Values.notifications.secrets }}
- name: notifier-{{ .name }}
  mountPath: /etc/ramp/notifier-secrets/{{ .name }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* A topology spread constraint for one component: pass (list $ "api"). */}}
{{- define "ramp.topologySpread" -}}
{{- $root := index . 0 -}}
{{- with $root.Values.topologySpread -}}
{{- if .enabled -}}
topologySpreadConstraints:
  - maxSkew: {{ .maxSkew }}
    topologyKey: {{ .topologyKey }}
    whenUnsatisfiable: {{ .whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "ramp.selectorLabels" (list $root (index $ 1)) | nindent 8 }}
{{- end -}}
{{- end -}}
{{- end -}}
