/**
 * Who this process is: instance id, node, pod and namespace, and the OTel resource built from it.
 */
import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Env } from './config/env.js';
import { parseKeyValues } from './config/env.js';
import type { Identity } from './instrument.js';
import { SERVICE_NAME, VERSION } from './version.js';

/** The first non-loopback IPv4 address, as the original's getOutboundIP picks it; undefined if none. */
export function firstIpv4(interfaces = networkInterfaces()): string | undefined {
  for (const addresses of Object.values(interfaces)) {
    for (const address of addresses ?? [])
      if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

export interface IdentitySources {
  /** `identity`, `nodeName` and `podName` of the config (NODE_NAME and POD_NAME set the latter two). */
  readonly identity: string;
  readonly nodeName?: string;
  readonly podName?: string;
}

/**
 * The instance id in the original's order (pkg/identity: GetWithConfig, then compute):
 * `identity`, else the node name, else the pod name, else the first non-loopback IPv4, else the
 * host name, else a random id. The node name defaults to the host name for node-local labels.
 */
export function resolveIdentity(
  sources: IdentitySources,
  env: Env,
  host: string = hostname(),
  ipv4: () => string | undefined = firstIpv4,
): Identity {
  const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);
  const nodeName = nonEmpty(sources.nodeName) ?? nonEmpty(env.NODE_NAME);
  const podName = nonEmpty(sources.podName) ?? nonEmpty(env.POD_NAME);
  return {
    instance:
      nonEmpty(sources.identity) ??
      nodeName ??
      podName ??
      ipv4() ??
      nonEmpty(host) ??
      `instance-${randomBytes(8).toString('hex')}`,
    nodeName: nodeName ?? host,
    podName: podName ?? '',
    podNamespace: nonEmpty(env.POD_NAMESPACE) ?? '',
  };
}

/**
 * service.*, k8s.* from identity; OTEL_RESOURCE_ATTRIBUTES on top; OTEL_SERVICE_NAME last, as the
 * OpenTelemetry SDK specification orders them.
 */
export function buildResource(identity: Identity, env: Env): Resource {
  const attributes: Record<string, string> = {
    'service.name': SERVICE_NAME,
    'service.version': VERSION,
    'service.instance.id': identity.instance,
    'k8s.node.name': identity.nodeName,
  };
  if (identity.podName) attributes['k8s.pod.name'] = identity.podName;
  if (identity.podNamespace) attributes['k8s.namespace.name'] = identity.podNamespace;
  Object.assign(attributes, parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES ?? ''));
  const serviceName = env.OTEL_SERVICE_NAME?.trim();
  if (serviceName) attributes['service.name'] = serviceName;
  return resourceFromAttributes(attributes);
}
