/** The /health document: the original's shape, with the reasons of unhealthy collectors added. */
import type { InstrumentHealth } from '../instrument.js';

export interface HealthReport {
  readonly status: 'ok' | 'unhealthy';
  readonly collectors: Record<string, string>;
  readonly errors?: Record<string, string>;
}

export function healthReport(collectors: Record<string, InstrumentHealth>): HealthReport {
  const states: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const [name, health] of Object.entries(collectors)) {
    states[name] = health.state;
    if (health.state === 'unhealthy') errors[name] = health.reason ?? 'unhealthy';
  }
  const unhealthy = Object.keys(errors).length > 0;
  return unhealthy
    ? { status: 'unhealthy', collectors: states, errors }
    : { status: 'ok', collectors: states };
}
