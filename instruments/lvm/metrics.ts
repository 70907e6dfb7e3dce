import type { MetricDeclaration } from '../../lib/instrument.js';

// The original's four node totals; their names carry no unit suffix, so the OTLP unit is an
// annotation (a Collector would otherwise append _bytes and break the dashboard's queries).
export const vgsTotalCapacity = {
  name: 'lvm_vgs_total_capacity',
  kind: 'gauge',
  unit: '{byte}',
  help: 'Total size of all LVM volume groups on the node, in bytes.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const vgsTotalFree = {
  name: 'lvm_vgs_total_free',
  kind: 'gauge',
  unit: '{byte}',
  help: 'Total free space of all LVM volume groups on the node, in bytes.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const vgsMetadataSize = {
  name: 'lvm_vgs_metadata_size',
  kind: 'gauge',
  unit: '{byte}',
  help: 'Total metadata area size of all LVM volume groups on the node, in bytes.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const vgsMetadataFree = {
  name: 'lvm_vgs_metadata_free',
  kind: 'gauge',
  unit: '{byte}',
  help: 'Total free metadata space of all LVM volume groups on the node, in bytes.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

const perGroup = (name: string, help: string) =>
  ({ name, kind: 'gauge', unit: 'By', help, labels: ['node', 'vg'] }) as const satisfies MetricDeclaration;

export const vgSize = perGroup('lvm_vg_size_bytes', 'Size of the LVM volume group.');
export const vgFree = perGroup('lvm_vg_free_bytes', 'Free space of the LVM volume group.');
export const vgMetadataSize = perGroup(
  'lvm_vg_metadata_size_bytes',
  'Size of the volume group metadata area.',
);
export const vgMetadataFree = perGroup(
  'lvm_vg_metadata_free_bytes',
  'Free space in the volume group metadata area.',
);

export const lvmMetrics = [
  vgsTotalCapacity,
  vgsTotalFree,
  vgsMetadataSize,
  vgsMetadataFree,
  vgSize,
  vgFree,
  vgMetadataSize,
  vgMetadataFree,
] as const;
