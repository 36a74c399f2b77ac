{{- define "accessbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "accessbot.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "accessbot.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "accessbot.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "accessbot.catalogConfigMap" -}}
{{- .Values.existingCatalogConfigMap | default (printf "%s-catalog" (include "accessbot.fullname" .)) -}}
{{- end -}}

{{- /* The environment of every accessbot container: settings, then secrets by reference only. */ -}}
{{- define "accessbot.env" -}}
- name: ACCESSBOT_REPLICA_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: ACCESSBOT_PUBLIC_URL
  value: {{ .Values.config.publicUrl | quote }}
- name: ACCESSBOT_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: ACCESSBOT_LOG_FORMAT
  value: json
{{- if or .Values.catalog .Values.existingCatalogConfigMap }}
- name: ACCESSBOT_CATALOG
  value: /etc/accessbot/catalog
{{- else }}
- name: ACCESSBOT_SIMULATE_CONNECTORS
  value: "true"
{{- end }}
{{- if .Values.connectors }}
- name: ACCESSBOT_CONNECTORS_FILE
  value: /etc/accessbot/conf/connectors.yaml
{{- end }}
{{- if .Values.people }}
- name: ACCESSBOT_PEOPLE_FILE
  value: /etc/accessbot/conf/people.yaml
{{- end }}
{{- if .Values.onCall }}
- name: ACCESSBOT_ON_CALL_FILE
  value: /etc/accessbot/conf/on-call.yaml
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range $name, $key := .Values.secrets.keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- range $name, $key := .Values.secrets.optionalKeys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secrets.existingSecret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end -}}

{{- define "accessbot.envFrom" -}}
{{- if or .Values.secrets.connectorSecret .Values.secrets.onCallSecret }}
envFrom:
{{- range compact (list .Values.secrets.connectorSecret .Values.secrets.onCallSecret) }}
  - secretRef:
      name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "accessbot.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- if or .Values.catalog .Values.existingCatalogConfigMap }}
  - name: catalog
    mountPath: /etc/accessbot/catalog
    readOnly: true
{{- end }}
{{- if or .Values.connectors .Values.people .Values.onCall }}
  - name: conf
    mountPath: /etc/accessbot/conf
    readOnly: true
{{- end }}
{{- end -}}

{{- define "accessbot.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- if or .Values.catalog .Values.existingCatalogConfigMap }}
  - name: catalog
    configMap:
      name: {{ include "accessbot.catalogConfigMap" . }}
{{- end }}
{{- if or .Values.connectors .Values.people .Values.onCall }}
  - name: conf
    configMap:
      name: {{ include "accessbot.fullname" . }}-conf
{{- end }}
{{- end -}}

{{- define "accessbot.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}
