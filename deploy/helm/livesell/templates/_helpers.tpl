{{/* The chart's names and labels. */}}
{{- define "livesell.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "livesell.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "livesell.selectorLabels" -}}
app.kubernetes.io/name: {{ include "livesell.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "livesell.labels" -}}
{{ include "livesell.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "livesell.secretName" -}}
{{- default (include "livesell.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* The backends' URLs: the dependency chart's service, or the external URL. */}}
{{- define "livesell.backendEnv" -}}
{{- if .Values.postgresql.enabled }}
- name: LIVESELL_PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-postgresql" .Release.Name) .Values.postgresql.auth.existingSecret }}
      key: password
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(LIVESELL_PG_PASSWORD)@%s-postgresql:5432/%s?sslmode=disable" .Values.postgresql.auth.username .Release.Name .Values.postgresql.auth.database | quote }}
{{- else }}
- name: DATABASE_URL
  value: {{ required "externalDatabase.url is required when postgresql.enabled is false" .Values.externalDatabase.url | quote }}
{{- end }}
{{- if .Values.redis.enabled }}
- name: REDIS_URL
  value: {{ printf "redis://%s-redis-master:6379/0" .Release.Name | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ required "externalRedis.url is required when redis.enabled is false" .Values.externalRedis.url | quote }}
{{- end }}
{{- if .Values.nats.enabled }}
- name: NATS_URL
  value: {{ printf "nats://%s-nats:4222" .Release.Name | quote }}
{{- else }}
- name: NATS_URL
  value: {{ required "externalNats.url is required when nats.enabled is false" .Values.externalNats.url | quote }}
{{- end }}
{{- end -}}
