/**
 * Provider amounts as the providers document them: Alibaba and VolcEngine send decimal strings
 * (Alibaba with thousands separators, e.g. "10,000.00"), Tencent integer cents.
 */
export function parseDecimalAmount(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?\d+(\.\d+)?$/.test(value.trim())) {
    return Number(value.trim().replaceAll(',', ''));
  }
  throw new Error(`${field} is ${JSON.stringify(value)}, not an amount`);
}

export function centsToUnits(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new Error(`${field} is ${JSON.stringify(value)}, not cents`);
  return value / 100;
}
