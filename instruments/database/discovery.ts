/**
 * From KubeBlocks Cluster objects and their connection Secrets to the databases to check.
 * Transforms keep only what a check needs; everything else of a Secret is dropped on arrival.
 */
import { isIP } from 'node:net';
import type { ApiObject } from '../../lib/instrument.js';
import { CheckFailure } from './failure.js';

export const DATABASE_TYPES = ['mysql', 'postgresql', 'mongodb', 'redis'] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];

/** What is kept of a KubeBlocks Cluster. */
export interface LeanCluster {
  readonly namespace: string;
  readonly name: string;
  /** Undefined for engines this instrument does not check (kafka, milvus, ...). */
  readonly type: DatabaseType | undefined;
  readonly phase: string;
}

/** What is kept of a connection Secret: the decoded keys a connection needs. */
export interface Credentials {
  readonly host?: string;
  readonly port?: string;
  readonly endpoint?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface DatabaseTarget {
  readonly namespace: string;
  readonly name: string;
  readonly type: DatabaseType;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

const DEFAULT_PORTS: Readonly<Record<DatabaseType, number>> = {
  mysql: 3306,
  postgresql: 5432,
  mongodb: 27017,
  redis: 6379,
};

/** The Service KubeBlocks creates for each engine, when the Secret names no host. */
const SERVICE_SUFFIX: Readonly<Record<DatabaseType, string>> = {
  mysql: '-mysql',
  postgresql: '-postgresql',
  mongodb: '-mongodb',
  redis: '-redis-redis',
};

/** The Secret names looked for, in order: the engine's own account Secret first. */
export function secretNames(name: string, type: DatabaseType): readonly string[] {
  switch (type) {
    case 'mongodb':
      return [`${name}-mongodb-account-root`, `${name}-conn-credential`];
    case 'redis':
      return [`${name}-redis-account-default`, `${name}-conn-credential`];
    default:
      return [`${name}-conn-credential`];
  }
}

const SECRET_SUFFIXES = ['-conn-credential', '-mongodb-account-root', '-redis-account-default'];

/** Engine from a ClusterDefinition or ComponentDefinition name (apecloud-mysql, postgresql-16-1.0.0, ...). */
export function engineType(definition: string): DatabaseType | undefined {
  const name = definition.toLowerCase();
  if (name.includes('mysql')) return 'mysql';
  if (name.startsWith('postgresql') || name.startsWith('apecloud-postgresql')) return 'postgresql';
  if (name.startsWith('mongodb')) return 'mongodb';
  if (name.startsWith('redis')) return 'redis';
  return undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function leanCluster(object: ApiObject): LeanCluster {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const labels = ((object.metadata as { labels?: unknown }).labels ?? {}) as Record<string, unknown>;
  const components = Array.isArray(spec.componentSpecs)
    ? (spec.componentSpecs as Record<string, unknown>[])
    : [];
  // v1alpha1 names the ClusterDefinition in clusterDefinitionRef, v1 in clusterDef; clusters made
  // of components alone name a ComponentDefinition per component.
  const definition =
    text(spec.clusterDefinitionRef) ||
    text(spec.clusterDef) ||
    text(labels['clusterdefinition.kubeblocks.io/name']) ||
    text(components[0]?.componentDef) ||
    text(components[0]?.componentDefRef);
  return {
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    type: engineType(definition),
    phase: text((object.status as { phase?: unknown } | undefined)?.phase),
  };
}

function decode(data: Record<string, unknown>, key: string): string | undefined {
  const value = data[key];
  if (typeof value !== 'string') return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Credentials of a KubeBlocks connection Secret; null for any other Secret (not kept). */
export function leanCredentials(object: ApiObject): Credentials | null {
  if (!SECRET_SUFFIXES.some((suffix) => object.metadata.name.endsWith(suffix))) return null;
  const data = (object.data ?? {}) as Record<string, unknown>;
  const credentials: Record<string, string> = {};
  for (const key of ['host', 'port', 'endpoint', 'username', 'password'] as const) {
    const value = decode(data, key);
    if (value !== undefined) credentials[key] = value;
  }
  return credentials;
}

function parsePort(value: string, field: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new CheckFailure('secret_invalid', `${field} is not a port number (got "${value.slice(0, 20)}")`);
  }
  return port;
}

/**
 * Where and as whom to connect. The Secret's host and port win; an `endpoint` (host:port) is
 * used when there is no host; otherwise the Service KubeBlocks creates for the engine.
 * A bare host name is a Service in the database's namespace.
 */
export function databaseTarget(
  cluster: { readonly namespace: string; readonly name: string; readonly type: DatabaseType },
  secret: Credentials,
): DatabaseTarget {
  const { namespace, name, type } = cluster;
  let host = secret.host?.trim() ?? '';
  let port = secret.port?.trim() ? parsePort(secret.port.trim(), 'port') : undefined;
  if (!host && secret.endpoint?.trim()) {
    const endpoint = secret.endpoint.trim();
    const at = endpoint.lastIndexOf(':');
    host = at > 0 ? endpoint.slice(0, at).replace(/^\[|\]$/g, '') : endpoint;
    if (at > 0 && port === undefined) port = parsePort(endpoint.slice(at + 1), 'endpoint');
  }
  if (!host) host = `${name}${SERVICE_SUFFIX[type]}.${namespace}.svc`;
  else if (!host.includes('.') && !isIP(host)) host = `${host}.${namespace}.svc`;
  if (!secret.password) throw new CheckFailure('secret_invalid', 'the Secret has no password');
  // Redis without a user name authenticates as its `default` user.
  const username = secret.username ?? '';
  if (!username && type !== 'redis') throw new CheckFailure('secret_invalid', 'the Secret has no username');
  return {
    namespace,
    name,
    type,
    host,
    port: port ?? DEFAULT_PORTS[type],
    username,
    password: secret.password,
  };
}
