{{- define "kairflow.name" -}}{{ .Release.Name }}-kairflow{{- end -}}
{{- define "kairflow.serviceAccount" -}}
{{- if .Values.serviceAccount.name }}{{ .Values.serviceAccount.name }}{{ else }}{{ include "kairflow.name" . }}{{ end -}}
{{- end -}}
{{- define "kairflow.labels" -}}
app.kubernetes.io/name: kairflow
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
