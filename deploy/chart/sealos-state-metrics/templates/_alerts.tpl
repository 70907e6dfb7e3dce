{{- /*
The shipped alerts, in the style of kubernetes-mixin: the source of the PrometheusRule
(prometheusRule.enabled) and of deploy/alerts/sealos-state-metrics.rules.yaml, which is this
rendered with the default thresholds (test/chart.test.ts keeps it current; UPDATE_GOLDEN=1
npm test rewrites it). Prometheus' own templates in annotations are quoted for Helm.
`for:` outlasts one failed check of the instrument's default interval.
*/}}
{{- define "ssm.alertGroups" -}}
- name: sealos-state-metrics.domain
  rules:
    - alert: SealosDomainCertificateExpiring
      expr: sealos_domain_cert_expiry_seconds < {{ .Values.prometheusRule.thresholds.certificateExpiryWarningDays }} * 86400
      for: 1h
      labels:
        severity: warning
      annotations:
        summary: A certificate expires in less than {{ .Values.prometheusRule.thresholds.certificateExpiryWarningDays }} days.
        description: "{{`{{ $labels.domain }}`}} at {{`{{ $labels.ip }}`}} serves a certificate that expires in {{`{{ $value | humanizeDuration }}`}}."
    - alert: SealosDomainCertificateExpiring
      expr: sealos_domain_cert_expiry_seconds < {{ .Values.prometheusRule.thresholds.certificateExpiryCriticalDays }} * 86400
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: A certificate expires in less than {{ .Values.prometheusRule.thresholds.certificateExpiryCriticalDays }} days.
        description: "{{`{{ $labels.domain }}`}} at {{`{{ $labels.ip }}`}} serves a certificate that expires in {{`{{ $value | humanizeDuration }}`}}."
    - alert: SealosDomainCertificateInvalid
      expr: sealos_domain_status{check_type="cert"} == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: A certificate is expired or fails verification.
        description: "{{`{{ $labels.domain }}`}} at {{`{{ $labels.ip }}`}}: the certificate check fails ({{`{{ $labels.error_type }}`}}, {{`{{ $labels.reason }}`}})."
    - alert: SealosDomainUnresolvable
      expr: sealos_domain_dns_status == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: A domain does not resolve.
        description: "{{`{{ $labels.domain }}`}} does not resolve ({{`{{ $labels.error_type }}`}}, {{`{{ $labels.reason }}`}})."
    - alert: SealosDomainAllAddressesUnhealthy
      expr: |
        sealos_domain_health{type="healthy_ips"} == 0
          and on (domain) sealos_domain_health{type="ip_count"} > 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: Every address of a domain fails its checks.
        description: "{{`{{ $labels.domain }}`}} resolves, but none of its addresses passes its HTTP and certificate checks."
- name: sealos-state-metrics.database
  rules:
    - alert: SealosDatabaseUnavailable
      expr: sealos_database_check_error{reason!="stopped"} == 1
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: A database fails its connectivity check.
        description: "{{`{{ $labels.type }}`}} database {{`{{ $labels.namespace }}`}}/{{`{{ $labels.database }}`}} is unavailable: {{`{{ $labels.reason }}`}}."
- name: sealos-state-metrics.node
  rules:
    - alert: SealosNodeUnhealthy
      expr: sealos_node_healthy == 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A node is not Ready or reports a pressure condition.
        description: 'Node {{`{{ $labels.node }}`}} is unhealthy; sealos_node_condition{node="{{`{{ $labels.node }}`}}"} names the condition.'
    - alert: SealosNodeKubeletMetricsMissing
      expr: sealos_node_kubelet_metrics_available == 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A Ready node's kubelet serves no metrics to metrics-server.
        description: "metrics.k8s.io has no NodeMetrics for {{`{{ $labels.node }}`}}."
- name: sealos-state-metrics.imagepull
  rules:
    - alert: SealosImagePullFailing
      expr: sealos_image_pull_failures > 0
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: A container cannot pull its image.
        description: "{{`{{ $labels.namespace }}`}}/{{`{{ $labels.pod }}`}} on {{`{{ $labels.node }}`}} cannot pull {{`{{ $labels.image }}`}}: {{`{{ $labels.reason }}`}} ({{`{{ $labels.cause }}`}})."
    - alert: SealosImagePullSlow
      expr: sealos_image_pull_slow > {{ .Values.prometheusRule.thresholds.imagePullSlowMinutes }} * 60
      for: 1m
      labels:
        severity: warning
      annotations:
        summary: An image pull has been going on for more than {{ .Values.prometheusRule.thresholds.imagePullSlowMinutes }} minutes.
        description: "{{`{{ $labels.namespace }}`}}/{{`{{ $labels.pod }}`}} on {{`{{ $labels.node }}`}} has been pulling {{`{{ $labels.image }}`}} for {{`{{ $value | humanizeDuration }}`}}."
- name: sealos-state-metrics.lvm
  rules:
    - alert: SealosLvmVolumeGroupNearlyFull
      expr: |
        sealos_lvm_vg_free_bytes / sealos_lvm_vg_size_bytes < {{ .Values.prometheusRule.thresholds.lvmFreeWarningPercent }} / 100
          and sealos_lvm_vg_size_bytes > 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: An LVM volume group has less than {{ .Values.prometheusRule.thresholds.lvmFreeWarningPercent }}% free.
        description: "Volume group {{`{{ $labels.vg }}`}} on {{`{{ $labels.node }}`}} has {{`{{ $value | humanizePercentage }}`}} free."
    - alert: SealosLvmVolumeGroupNearlyFull
      expr: |
        sealos_lvm_vg_free_bytes / sealos_lvm_vg_size_bytes < {{ .Values.prometheusRule.thresholds.lvmFreeCriticalPercent }} / 100
          and sealos_lvm_vg_size_bytes > 0
      for: 15m
      labels:
        severity: critical
      annotations:
        summary: An LVM volume group has less than {{ .Values.prometheusRule.thresholds.lvmFreeCriticalPercent }}% free.
        description: "Volume group {{`{{ $labels.vg }}`}} on {{`{{ $labels.node }}`}} has {{`{{ $value | humanizePercentage }}`}} free."
- name: sealos-state-metrics.balance
  rules:
    - alert: SealosCloudBalanceLow
      expr: sealos_cloudbalance_balance < {{ .Values.prometheusRule.thresholds.cloudBalanceLow }}
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A cloud account's balance is below {{ .Values.prometheusRule.thresholds.cloudBalanceLow }}.
        description: "{{`{{ $labels.provider }}`}} account {{`{{ $labels.account_id }}`}} has {{`{{ $value }}`}} left."
    - alert: SealosCloudBalanceNegative
      expr: sealos_cloudbalance_balance < 0
      for: 15m
      labels:
        severity: critical
      annotations:
        summary: A cloud account is in debt.
        description: "{{`{{ $labels.provider }}`}} account {{`{{ $labels.account_id }}`}} has a balance of {{`{{ $value }}`}}."
    - alert: SealosUserBalanceLow
      expr: |
        (sealos_userbalance_balance{type!="quota"} >= 0)
          < ignoring (type) group_left () (sealos_userbalance_balance{type="quota"} > 0)
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A user's balance is below its quota.
        description: "User {{`{{ $labels.uid }}`}} ({{`{{ $labels.owner }}`}}, {{`{{ $labels.region }}`}}) has {{`{{ $value }}`}} left, below its quota."
    - alert: SealosUserBalanceNegative
      expr: sealos_userbalance_balance{type!="quota"} < 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A user's balance is negative.
        description: "User {{`{{ $labels.uid }}`}} ({{`{{ $labels.owner }}`}}, {{`{{ $labels.region }}`}}) has a balance of {{`{{ $value }}`}}."
- name: sealos-state-metrics.cockroachlicense
  rules:
    - alert: SealosCockroachLicenseExpiring
      expr: |
        sealos_cockroach_license_seconds_until_expiry < {{ .Values.prometheusRule.thresholds.cockroachLicenseExpiryDays }} * 86400
          and on (cluster) sealos_cockroach_license_up == 1
      for: 1h
      labels:
        severity: warning
      annotations:
        summary: A CockroachDB license expires in less than {{ .Values.prometheusRule.thresholds.cockroachLicenseExpiryDays }} days.
        description: "The license of CockroachDB cluster {{`{{ $labels.cluster }}`}} expires in {{`{{ $value | humanizeDuration }}`}}."
    - alert: SealosCockroachLicenseMissing
      expr: sealos_cockroach_license_up == 0
      for: 15m
      labels:
        severity: critical
      annotations:
        summary: A CockroachDB cluster has no valid license.
        description: "CockroachDB cluster {{`{{ $labels.cluster }}`}} has no license installed, or it expired, or it cannot be read."
- name: sealos-state-metrics.self
  rules:
    - alert: SealosCollectorFailing
      # Only a fresh record counts: a replica that handed its Lease over keeps the
      # last record of the collector it no longer runs.
      expr: |
        state_metric_collector_success == 0
          and time() - state_metric_collector_last_collection_timestamp < {{ .Values.prometheusRule.thresholds.collectorStaleMinutes }} * 60
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: A collector's runs fail.
        description: "Collector {{`{{ $labels.collector }}`}} on {{`{{ $labels.instance }}`}} has failed its runs for 15 minutes; /health names the reason."
    - alert: SealosCollectorStale
      # Cluster-wide collectors run on one replica at a time: stale only where no replica
      # has a fresh run. Node-local ones (zombie, lvm) run on every node.
      expr: |
        (
          time() - state_metric_collector_last_collection_timestamp{collector!~"zombie|lvm"} > {{ .Values.prometheusRule.thresholds.collectorStaleMinutes }} * 60
            unless on (collector)
          time() - state_metric_collector_last_collection_timestamp < {{ .Values.prometheusRule.thresholds.collectorStaleMinutes }} * 60
        )
        or
        time() - state_metric_collector_last_collection_timestamp{collector=~"zombie|lvm"} > {{ .Values.prometheusRule.thresholds.collectorStaleMinutes }} * 60
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: A collector has not finished a run for {{ .Values.prometheusRule.thresholds.collectorStaleMinutes }} minutes.
        description: "Collector {{`{{ $labels.collector }}`}} last finished a run {{`{{ $value | humanizeDuration }}`}} ago on {{`{{ $labels.instance }}`}}."
    - alert: SealosConfigReloadFailed
      expr: state_metric_config_last_reload_successful == 0
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: The config file was changed and the change was refused.
        description: "{{`{{ $labels.instance }}`}} keeps serving its previous config; its log names the field at fault."
    - alert: SealosConfigRestartRequired
      expr: state_metric_config_restart_required > 0
      for: 15m
      labels:
        severity: info
      annotations:
        summary: Config changes wait for a restart.
        description: "{{`{{ $labels.instance }}`}} has {{`{{ $value }}`}} changed settings that only a restart applies."
    - alert: SealosOtlpExportsFailing
      expr: |
        sum without (result) (rate(state_metric_otlp_exports_total{result="failure"}[15m]))
          / sum without (result) (rate(state_metric_otlp_exports_total[15m]))
          > 0.5
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Most OTLP exports fail.
        description: "{{`{{ $labels.instance }}`}}: {{`{{ $value | humanizePercentage }}`}} of OTLP exports failed over 15 minutes."
{{- end -}}
