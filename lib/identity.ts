/**
 * Who this process is: instance id, node, pod and namespace, and the OTel resource built from it.
 */
import { hostname } from 'node:os';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Env } from './config/env.js';
import { parseKeyValues } from './config/env.js';
import type { Identity } from './instrument.js';
import { SERVICE_NAME, VERSION } from './version.js';

export function resolveIdentity(configured: string, env: Env, host: string = hostname()): Identity {
  const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);
  return {
    instance: nonEmpty(configured) ?? nonEmpty(env.POD_NAME) ?? host,
    nodeName: nonEmpty(env.NODE_NAME) ?? host,
    podName: nonEmpty(env.POD_NAME) ?? '',
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
