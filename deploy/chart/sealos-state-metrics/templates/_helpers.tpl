{{- define "ssm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ssm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ssm.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ssm.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ssm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ssm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ssm.labels" -}}
{{ include "ssm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ssm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ssm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ssm.daemonset" -}}
{{- if eq .Values.deploymentMode "daemonset" -}}true{{- end -}}
{{- end -}}

{{/* The process's config file: the original's layout, with what the chart itself decides. */}}
{{- define "ssm.config" -}}
{{- $config := deepCopy (default dict .Values.config) -}}
{{- $server := deepCopy (default dict $config.server) -}}
{{- if .Values.tls.enabled -}}
{{- $_ := set $server "tls" (dict "enabled" true "certFile" "/etc/sealos-state-metrics/tls/tls.crt" "keyFile" "/etc/sealos-state-metrics/tls/tls.key") -}}
{{- end -}}
{{- $_ := set $server "auth" (dict "enabled" (.Values.auth.enabled | default false)) -}}
{{- $_ := set $config "server" $server -}}
{{- $election := deepCopy (default dict .Values.leaderElection) -}}
{{- $_ := set $election "namespace" .Release.Namespace -}}
{{- $_ := set $config "leaderElection" $election -}}
{{- $_ := set $config "enabledCollectors" .Values.enabledCollectors -}}
{{- if .Values.identity -}}{{- $_ := set $config "identity" .Values.identity -}}{{- end -}}
{{- $collectors := deepCopy (default dict .Values.collectors) -}}
{{- if and (include "ssm.daemonset" .) (has "zombie" .Values.enabledCollectors) -}}
{{- $zombie := deepCopy (default dict (get $collectors "zombie")) -}}
{{- $_ := set $zombie "procPath" "/host/proc" -}}
{{- $_ := set $collectors "zombie" $zombie -}}
{{- end -}}
{{- $_ := set $config "collectors" $collectors -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Cluster-wide read access, from the enabled instruments only. */}}
{{- define "ssm.clusterRules" -}}
{{- $enabled := .Values.enabledCollectors -}}
{{- if or (has "pod" $enabled) (has "imagepull" $enabled) (has "zombie" $enabled) }}
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
{{- end }}
{{- if has "node" $enabled }}
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["list", "watch"]
- apiGroups: ["metrics.k8s.io"]
  resources: ["nodes"]
  verbs: ["get", "list"]
{{- end }}
{{- if and (has "imagepull" $enabled) (ne (toString (dig "imagepull" "useEvents" true (default dict .Values.collectors))) "false") }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["list", "watch"]
{{- end }}
{{- if has "database" $enabled }}
{{- if eq (toString (dig "database" "discovery" "secrets" (default dict .Values.collectors))) "clusters" }}
{{- $version := dig "database" "clusterApiVersion" "apps.kubeblocks.io/v1alpha1" (default dict .Values.collectors) }}
- apiGroups: [{{ index (splitList "/" $version) 0 | quote }}]
  resources: ["clusters"]
  verbs: ["list", "watch"]
{{- end }}
- apiGroups: [""]
  resources: ["secrets", "services", "endpoints"]
  verbs: ["list", "watch"]
{{- end }}
{{- if has "crds" $enabled }}
{{- range (dig "crds" "crds" list (default dict .Values.collectors)) }}
- apiGroups: [{{ .gvr.group | default "" | quote }}]
  resources: [{{ .gvr.resource | quote }}]
  verbs: ["list", "watch"]
{{- end }}
{{- $crs := dig "crds" "customResourceStateConfig" "" (default dict .Values.collectors) }}
{{- if or $crs (dig "crds" "customResourceStateConfigFile" "" (default dict .Values.collectors)) }}
{{- /* kube-state-metrics' Custom Resource State discovers kinds from the installed CRDs. */}}
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
{{- end }}
{{- if kindIs "map" $crs }}
{{- range (dig "spec" "resources" list $crs) }}
- apiGroups: [{{ dig "groupVersionKind" "group" "" . | quote }}]
  resources: ["*"]
  verbs: ["list", "watch"]
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.rbac.extraRules }}
{{ toYaml . }}
{{- end }}
{{- if .Values.auth.enabled }}
- apiGroups: ["authentication.k8s.io"]
  resources: ["tokenreviews"]
  verbs: ["create"]
- apiGroups: ["authorization.k8s.io"]
  resources: ["subjectaccessreviews"]
  verbs: ["create"]
{{- end }}
{{- end -}}

{{- define "ssm.scheme" -}}
{{- if .Values.tls.enabled -}}https{{- else -}}http{{- end -}}
{{- end -}}
