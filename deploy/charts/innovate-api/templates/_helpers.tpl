{{/*
Names and labels (the conventions of `helm create`), the API's environment, and the
security context shared by every pod of the chart.
*/}}

{{- define "innovate-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release already contains it. Truncated so "<fullname>-preview" etc. stay within 63. */}}
{{- define "innovate-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "innovate-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "innovate-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "innovate-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "innovate-api.labels" -}}
helm.sh/chart: {{ include "innovate-api.chart" . }}
{{ include "innovate-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: innovate
innovate.example.com/environment: {{ .Values.environment }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector of one component's pods: "<selectorLabels> + component". */}}
{{- define "innovate-api.componentSelector" -}}
{{ include "innovate-api.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "innovate-api.serviceAccountName" -}}
{{- .Values.serviceAccount.name }}
{{- end }}

{{/* The image by digest (immutable); the tag is kept for people reading it. */}}
{{- define "innovate-api.image" -}}
{{- $tag := required "image.tag is required: the git SHA the pipeline built (--set image.tag=...)" .Values.image.tag }}
{{- $digest := required "image.digest is required: the sha256 digest of the pushed image (--set image.digest=...)" .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag $digest }}
{{- end }}

{{- define "innovate-api.databaseUrl" -}}
{{- $host := required "database.host is required: the RDS endpoint" .Values.database.host }}
{{- printf "postgresql://%s:%d/%s" $host (int .Values.database.port) .Values.database.name }}
{{- end }}

{{/* Names the chart sets itself: extraEnv may not override them. */}}
{{- define "innovate-api.reservedEnv" -}}
DATABASE_URL DATABASE_SECRET_ID APP_DATABASE_SECRET_ID DATABASE_SSLMODE DATABASE_SSLROOTCERT JWT_SECRET JWT_SECRET_ID LOG_LEVEL NOTE_RETENTION_DAYS TRUSTED_PROXIES GIT_SHA DEPLOYMENT_COLOR GUNICORN_BIND GUNICORN_WORKERS GUNICORN_THREADS GUNICORN_GRACEFUL_TIMEOUT GUNICORN_KEEPALIVE PROMETHEUS_MULTIPROC_DIR AWS_REGION AWS_DEFAULT_REGION
{{- end }}

{{/*
The settings every process of the API reads (server, migration, purge): inline in each
pod spec rather than in a ConfigMap, so a pre-upgrade hook sees the new release's
values, not the previous release's ConfigMap.
*/}}
{{- define "innovate-api.env" -}}
- name: DATABASE_URL
  value: {{ include "innovate-api.databaseUrl" . | quote }}
- name: DATABASE_SECRET_ID
  value: {{ .databaseSecretId | default (required "database.secretId is required: the application's database secret" .Values.database.secretId) | quote }}
{{- if .Values.database.caBundle.configMapName }}
- name: DATABASE_SSLROOTCERT
  value: /etc/innovate/database-ca/{{ .Values.database.caBundle.key }}
{{- else }}
- name: DATABASE_SSLMODE
  value: {{ .Values.database.sslmode | quote }}
{{- end }}
- name: JWT_SECRET_ID
  value: {{ required "jwtSecret.secretId is required: the Secrets Manager secret holding the token signing key" .Values.jwtSecret.secretId | quote }}
- name: LOG_LEVEL
  value: {{ .Values.api.logLevel | quote }}
- name: NOTE_RETENTION_DAYS
  value: {{ .Values.api.noteRetentionDays | quote }}
{{- with .Values.api.trustedProxies }}
- name: TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
- name: GIT_SHA
  value: {{ .Values.image.tag | quote }}
- name: PROMETHEUS_MULTIPROC_DIR
  value: /tmp/metrics
- name: AWS_REGION
  value: {{ .Values.awsRegion | quote }}
- name: AWS_DEFAULT_REGION
  value: {{ .Values.awsRegion | quote }}
{{- $reserved := splitList " " (include "innovate-api.reservedEnv" .) }}
{{- range $name, $value := .Values.api.extraEnv }}
{{- if has $name $reserved }}
{{- fail (printf "api.extraEnv.%s: the chart sets %s itself; use its own value instead" $name $name) }}
{{- end }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Restricted Pod Security Standard, pod level. */}}
{{- define "innovate-api.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted Pod Security Standard, container level. */}}
{{- define "innovate-api.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Writable scratch space under a read-only root: /tmp (gunicorn's worker heartbeat files) and /tmp/metrics (prometheus_client's multiprocess files, which must exist before the app imports its metrics). */}}
{{- define "innovate-api.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: metrics
  emptyDir:
    medium: Memory
    sizeLimit: 32Mi
{{- if .Values.database.caBundle.configMapName }}
- name: database-ca
  configMap:
    name: {{ .Values.database.caBundle.configMapName }}
    items:
      - key: {{ .Values.database.caBundle.key }}
        path: {{ .Values.database.caBundle.key }}
{{- end }}
{{- end }}

{{- define "innovate-api.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: metrics
  mountPath: /tmp/metrics
{{- if .Values.database.caBundle.configMapName }}
- name: database-ca
  mountPath: /etc/innovate/database-ca
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod placement shared by the API and its jobs. */}}
{{- define "innovate-api.placement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

{{/* Egress every process of the API needs: DNS, the database, AWS endpoints (443) and the Pod Identity agent. */}}
{{- define "innovate-api.workloadEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dnsNamespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dnsPodLabels | nindent 10 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
- to:
    {{- range .Values.database.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.database.port }}
- to:
    {{- range .Values.networkPolicy.awsEndpointCIDRs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - protocol: TCP
      port: 443
- to:
    - ipBlock:
        cidr: {{ .Values.networkPolicy.podIdentityAgentCIDR }}
  ports:
    - protocol: TCP
      port: 80
{{- end }}

{{/* Render-time checks across values (the schema checks each value alone). */}}
{{- define "innovate-api.validate" -}}
{{- $budget := add .Values.preStopSleepSeconds .Values.gunicorn.gracefulTimeoutSeconds 5 }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $budget) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + gunicorn.gracefulTimeoutSeconds + 5 (%d): otherwise requests in flight are killed" (int .Values.terminationGracePeriodSeconds) (int $budget)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled .Values.autoscaling.enabled (le (int .Values.autoscaling.minReplicas) (int .Values.podDisruptionBudget.maxUnavailable)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must exceed podDisruptionBudget.maxUnavailable (%d): a drain could otherwise take every pod" (int .Values.autoscaling.minReplicas) (int .Values.podDisruptionBudget.maxUnavailable)) }}
{{- end }}
{{- if and .Values.targetGroupBinding.enabled (not .Values.targetGroupBinding.targetGroupARN) }}
{{- fail "targetGroupBinding.targetGroupARN is required: the ALB target group ARN exported by the edge stack (--set targetGroupBinding.targetGroupARN=...)" }}
{{- end }}
{{- if .Values.networkPolicy.enabled }}
{{- if not .Values.networkPolicy.ingressCIDRs }}
{{- fail "networkPolicy.ingressCIDRs is required: the ALB's subnets (the VPC CIDR)" }}
{{- end }}
{{- if not .Values.networkPolicy.awsEndpointCIDRs }}
{{- fail "networkPolicy.awsEndpointCIDRs is required: where the VPC interface endpoints live (the VPC CIDR)" }}
{{- end }}
{{- if not .Values.database.cidrs }}
{{- fail "database.cidrs is required: the database subnets the pods may reach" }}
{{- end }}
{{- end }}
{{- if and .Values.analysis.enabled (not .Values.serviceMonitor.enabled) }}
{{- fail "analysis.enabled needs serviceMonitor.enabled: the pre-promotion analysis reads the preview pods' metrics from Prometheus" }}
{{- end }}
{{- end }}
