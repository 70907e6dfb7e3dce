import type { MetricDeclaration } from '../../lib/instrument.js';

const metric = (name: string, unit: string, help: string, labels: readonly string[] = ['cluster']) =>
  ({ name, kind: 'gauge', unit, help, labels }) as const satisfies MetricDeclaration;

export const licenseUp = metric(
  'cockroach_license_up',
  '{license}',
  'Whether a CockroachDB license is installed and not expired (1); 0 when missing, expired, or not readable.',
);
export const licenseInfo = metric(
  'cockroach_license_info',
  '{license}',
  'CockroachDB license metadata; 1 when a license is installed, 0 otherwise. The license string itself is never exported.',
  ['cluster', 'type', 'environment', 'license_id', 'organization_id', 'organization_name'],
);
export const licenseType = metric(
  'cockroach_license_type',
  '{type}',
  'CockroachDB license type as a number (0 unknown/none, 1 Enterprise, 2 Evaluation, 3 Free, 4 Trial, 5 NonCommercial).',
  ['cluster', 'type'],
);
export const licenseExpiry = metric(
  'cockroach_license_expiry_timestamp_seconds',
  's',
  'Unix time the CockroachDB license expires; 0 when none is installed.',
);
export const licenseSecondsUntilExpiry = metric(
  'cockroach_license_seconds_until_expiry',
  '{second}',
  'Seconds until the CockroachDB license expires (negative once expired); 0 when none is installed.',
);
export const licenseLastScrape = metric(
  'cockroach_license_last_scrape_timestamp_seconds',
  's',
  'Unix time of the last attempt to read the license.',
);

export const cockroachlicenseMetrics = [
  licenseUp,
  licenseInfo,
  licenseType,
  licenseExpiry,
  licenseSecondsUntilExpiry,
  licenseLastScrape,
] as const;
