{{/*
Pod spec of the migration and purge jobs: the API image, its settings and identity,
the same restricted security context. Arguments: dict root, component, command, resources,
and optionally serviceAccount (another identity) and databaseSecretId (another database
secret: the migration connects as master).
*/}}
{{- define "innovate-api.jobPod" -}}
{{- $root := .root }}
{{- $envContext := $root }}
{{- with .databaseSecretId }}
{{- $envContext = merge (dict "databaseSecretId" .) $root }}
{{- end }}
metadata:
  labels:
    {{- include "innovate-api.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  restartPolicy: Never
  serviceAccountName: {{ .serviceAccount | default (include "innovate-api.serviceAccountName" $root) }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "innovate-api.podSecurityContext" $root | nindent 4 }}
  {{- include "innovate-api.placement" $root | nindent 2 }}
  containers:
    - name: {{ .component }}
      image: {{ include "innovate-api.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command:
        {{- toYaml .command | nindent 8 }}
      env:
        {{- include "innovate-api.env" $envContext | nindent 8 }}
        {{- with .env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        {{- include "innovate-api.containerSecurityContext" $root | nindent 8 }}
      volumeMounts:
        {{- include "innovate-api.scratchMounts" $root | nindent 8 }}
  volumes:
    {{- include "innovate-api.scratchVolumes" $root | nindent 4 }}
{{- end }}
