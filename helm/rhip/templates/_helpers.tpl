{{/* Names, labels and the list of components every other template loops over. */}}

{{- define "rhip.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name: "rhip" for `helm install rhip`, else "<release>-rhip". */}}
{{- define "rhip.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "rhip.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rhip.version" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "rhip.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "rhip.version" .) -}}
{{- end -}}
{{- end -}}

{{/* Labels that pick a component's pods; call with (dict "root" $ "component" "identity"). */}}
{{- define "rhip.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rhip.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Standard labels; same argument as rhip.selectorLabels (component may be empty). */}}
{{- define "rhip.labels" -}}
{{ include "rhip.selectorLabels" . }}
app.kubernetes.io/part-of: rhip
app.kubernetes.io/version: {{ include "rhip.version" .root | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- if eq .root.Values.role "cell" }}
rhip.io/region: {{ .root.Values.cell.region | quote }}
{{- end }}
{{- end -}}

{{/*
The processes this release runs, as JSON {"items": [...]}: each enabled service of a cell
(`rhip serve --services X`) or the gateway. Each item's values are serviceDefaults with the
service's own values merged over them.
*/}}
{{- define "rhip.components" -}}
{{- $items := list -}}
{{- if eq .Values.role "gateway" -}}
{{- $values := mergeOverwrite (deepCopy .Values.serviceDefaults) (omit (deepCopy .Values.gateway) "cells" "service" "http") -}}
{{- $items = append $items (dict "name" "gateway" "args" (list "gateway") "values" $values) -}}
{{- else -}}
{{- range $name := keys .Values.services | sortAlpha -}}
{{- $own := get $.Values.services $name | default dict -}}
{{- if $own.enabled -}}
{{- $values := mergeOverwrite (deepCopy $.Values.serviceDefaults) (deepCopy $own) -}}
{{- $items = append $items (dict "name" $name "args" (list "serve" "--services" $name) "values" $values) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $items -}}
{{- fail "a cell runs at least one service: enable one under services" -}}
{{- end -}}
{{- dict "items" $items | toJson -}}
{{- end -}}

{{/* The enabled services of a cell, comma-separated (for `rhip migrate --services`). */}}
{{- define "rhip.enabledServices" -}}
{{- $names := list -}}
{{- range $name := keys .Values.services | sortAlpha -}}
{{- if (get $.Values.services $name | default dict).enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}

{{/* Settings shared by every process of the release: the ConfigMap's data. */}}
{{- define "rhip.config" -}}
RHIP_ENV: production
RHIP_LISTEN: {{ printf "[::]:%d" (int .Values.grpcPort) | quote }}
RHIP_HEALTH_LISTEN: {{ printf "[::]:%d" (int .Values.healthPort) | quote }}
{{- if .Values.metrics.enabled }}
RHIP_METRICS_LISTEN: {{ printf "[::]:%d" (int .Values.metrics.port) | quote }}
{{- end }}
RHIP_DATA_DIR: /tmp/rhip
RHIP_GRPC_WORKERS: {{ .Values.config.grpcWorkers | quote }}
RHIP_TRACES_EXPORTER: {{ .Values.config.tracesExporter | quote }}
RHIP_AUDIT_RETENTION_DAYS: {{ .Values.config.auditRetentionDays | quote }}
RHIP_AUDIT_PURGE_INTERVAL_SECONDS: {{ .Values.config.auditPurgeIntervalSeconds | quote }}
{{- if .Values.config.logJson }}
RHIP_LOG_JSON: "1"
{{- end }}
{{- if eq .Values.role "cell" }}
RHIP_CELL: {{ .Values.cell.region | quote }}
{{- /* Each service runs in its own pods and calls the cell's others at their Services:
identity for everyone; referral and emr call archives; emr referral; archives and referral feed
emr's timeline. A pod without the address of a service it requires does not start. */}}
{{- range $name, $service := .Values.services }}
{{- if $service.enabled }}
RHIP_{{ upper $name }}_ADDRESS: {{ printf "%s-%s:%d" (include "rhip.fullname" $) $name (int $.Values.grpcPort) | quote }}
{{- end }}
{{- end }}
{{- if .Values.cell.peers }}
RHIP_ROUTES: /etc/rhip/routes/routes.json
{{- end }}
{{- with .Values.cell.gatewayAddress }}
RHIP_GATEWAY_ADDRESS: {{ . | quote }}
{{- end }}
{{- else }}
RHIP_ROUTES: /etc/rhip/routes/routes.json
RHIP_INTERNAL_LISTEN: {{ printf "[::]:%d" (int .Values.gatewayInternalPort) | quote }}
RHIP_RATE_LIMIT_PER_SECOND: {{ .Values.gateway.rateLimitPerSecond | quote }}
RHIP_RATE_LIMIT_BURST: {{ .Values.gateway.rateLimitBurst | quote }}
RHIP_UPSTREAM_TIMEOUT_SECONDS: {{ .Values.gateway.upstreamTimeoutSeconds | quote }}
{{- if .Values.gateway.http.enabled }}
RHIP_GATEWAY_HTTP_LISTEN: {{ printf "[::]:%d" (int .Values.gateway.http.port) | quote }}
{{- with .Values.gateway.http.corsOrigins }}
RHIP_GATEWAY_CORS_ORIGINS: {{ join "," . | quote }}
{{- end }}
{{- /* The other replicas' HTTP listeners: the addresses of the headless peers Service (each
replica's name, RHIP_GATEWAY_REPLICA, is its pod IP; see the Deployment). */}}
RHIP_GATEWAY_PEERS: {{ printf "dns:%s-gateway-peers.%s.svc.cluster.local:%d" (include "rhip.fullname" .) .Release.Namespace (int .Values.gateway.http.port) | quote }}
{{- end }}
{{- end }}
{{- if .Values.tls.enabled }}
{{- /* The files of the Secrets rhip.tlsVolumes mounts (rhip.kit.tls). */}}
RHIP_TLS_CERT_FILE: /etc/rhip/tls/tls.crt
RHIP_TLS_KEY_FILE: /etc/rhip/tls/tls.key
RHIP_TLS_CA_FILE: /etc/rhip/tls-ca/ca.crt
{{- if and (eq .Values.role "gateway") .Values.tls.clientSecret }}
RHIP_TLS_CLIENT_CERT_FILE: /etc/rhip/tls-client/tls.crt
RHIP_TLS_CLIENT_KEY_FILE: /etc/rhip/tls-client/tls.key
{{- end }}
{{- else }}
RHIP_TLS: "off"
{{- end }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/*
The routing table in RoutingTable.from_file's format (rhip.kit.routing). Each service a cell
lists under `services` runs as its own Deployment and Service in the cell's namespace, so it
is routed to that Service's DNS name, <fullname>-<service>.<namespace>.svc.cluster.local:<grpcPort>;
`address` (for services not listed) is the one given, else identity's, else the first service's.
*/}}
{{- define "rhip.routes" -}}
{{- $cells := list -}}
{{- $port := int .Values.grpcPort -}}
{{- $source := ternary .Values.gateway.cells .Values.cell.peers (eq .Values.role "gateway") -}}
{{- range $cell := $source -}}
{{- $services := dict -}}
{{- $default := "" -}}
{{- range $name := $cell.services | default list -}}
{{- $dns := printf "%s-%s.%s.svc.cluster.local:%d" ($cell.fullname | default "rhip") $name $cell.namespace $port -}}
{{- $_ := set $services $name $dns -}}
{{- if or (not $default) (eq $name "identity") -}}
{{- $default = $dns -}}
{{- end -}}
{{- end -}}
{{- $route := dict "name" $cell.name "regions" $cell.regions "address" ($cell.address | default $default) -}}
{{- if $services -}}
{{- $_ := set $route "services" $services -}}
{{- end -}}
{{- $cells = append $cells $route -}}
{{- end -}}
{{- dict "cells" $cells | toPrettyJson -}}
{{- end -}}

{{/* The TLS Secrets' volumes (rhip.tlsMounts mounts them): whole Secrets, never subPath, so
that a renewed certificate reaches the running pod; readable by the rhip group only. */}}
{{- define "rhip.tlsVolumes" -}}
{{- if .Values.tls.enabled -}}
- name: tls
  secret:
    secretName: {{ .Values.tls.existingSecret }}
    defaultMode: 288  # 0440
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
- name: tls-ca
  secret:
    secretName: {{ .Values.tls.caSecret | default .Values.tls.existingSecret }}
    defaultMode: 288
    items:
      - key: ca.crt
        path: ca.crt
{{- if and (eq .Values.role "gateway") .Values.tls.clientSecret }}
- name: tls-client
  secret:
    secretName: {{ .Values.tls.clientSecret }}
    defaultMode: 288
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
{{- end }}
{{- end -}}

{{- define "rhip.tlsMounts" -}}
{{- if .Values.tls.enabled -}}
- name: tls
  mountPath: /etc/rhip/tls
  readOnly: true
- name: tls-ca
  mountPath: /etc/rhip/tls-ca
  readOnly: true
{{- if and (eq .Values.role "gateway") .Values.tls.clientSecret }}
- name: tls-client
  mountPath: /etc/rhip/tls-client
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Whether the release mounts a routing table. */}}
{{- define "rhip.hasRoutes" -}}
{{- if or (eq .Values.role "gateway") .Values.cell.peers -}}true{{- end -}}
{{- end -}}

{{/* Secret-backed variables of a process; call with (dict "root" $ "services" (list ...)). */}}
{{- define "rhip.secretEnv" -}}
- name: RHIP_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.existingSecret }}
      key: RHIP_SECRET_KEY
{{- range .services }}
- name: {{ printf "RHIP_%s_DATABASE_URL" (upper .) }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.existingSecret }}
      key: {{ printf "RHIP_%s_DATABASE_URL" (upper .) }}
{{- end }}
{{- if and (eq .root.Values.role "cell") .services }}
{{- /* The cell's own service account (identity creates it; archives uses it for cross-cell
migration and to follow identity's resident changes). Optional: without it both stay off. */}}
{{- range list "RHIP_CELL_CLIENT_ID" "RHIP_CELL_CLIENT_SECRET" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.existingSecret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- /* The signing keyring (rhip.kit.signing_keys): the current signing secret and the retired
ones, which only verify what they signed. Optional: without them RHIP_SECRET_KEY signs. */}}
{{- range list "RHIP_SIGNING_KEY" "RHIP_RETIRED_SIGNING_KEYS" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.existingSecret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}
{{- end -}}

{{/* The container security context every rhip container runs with. */}}
{{- define "rhip.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "rhip.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Egress to the cluster DNS (UDP and TCP 53): a NetworkPolicyEgressRule. */}}
{{- define "rhip.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/* Egress to the cell's databases; empty when none is configured. */}}
{{- define "rhip.databaseEgress" -}}
{{- with .Values.networkPolicy.database -}}
- to:
    {{- toYaml . | nindent 4 }}
  ports:
    - port: {{ $.Values.networkPolicy.databasePort }}
      protocol: TCP
{{- end }}
{{- end -}}

{{/* rhip pods in the namespace named .namespace: a NetworkPolicyPeer. */}}
{{- define "rhip.peerInNamespace" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace }}
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: rhip
      {{- with .component }}
      app.kubernetes.io/component: {{ . }}
      {{- end }}
{{- end -}}

{{- /* Ingress to the metrics port from metrics.allowFrom (the Prometheus scraping it). */}}
{{- define "rhip.metricsIngress" -}}
{{- if and .Values.metrics.enabled .Values.metrics.allowFrom }}
- from:
    {{- toYaml .Values.metrics.allowFrom | nindent 4 }}
  ports:
    - port: {{ .Values.metrics.port }}
      protocol: TCP
{{- end }}
{{- end }}
