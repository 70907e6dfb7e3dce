/**
 * One connect + authenticate + ping per database type, with the real driver. Every connector
 * leaves nothing open: no pool, no reconnect, no socket once it returns or its signal aborts.
 */
import type { DatabaseType } from './discovery.js';

// Drivers load on first use: a process that checks no MongoDB should not carry its driver.
const loadPg = () => import('pg');
const loadMysql = () => import('mysql2');
const loadMongo = () => import('mongodb');
const loadRedis = () => import('ioredis');
let pgDriver: ReturnType<typeof loadPg> | undefined;
let mysqlDriver: ReturnType<typeof loadMysql> | undefined;
let mongoDriver: ReturnType<typeof loadMongo> | undefined;
let redisDriver: ReturnType<typeof loadRedis> | undefined;

export interface Endpoint {
  /** The resolved address connected to. */
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

export type Connector = (endpoint: Endpoint, timeoutMs: number, signal: AbortSignal) => Promise<void>;

/** Runs `work`, calling `teardown` once if the signal aborts first and again when it ends. */
async function guarded(signal: AbortSignal, teardown: () => void | Promise<void>, work: () => Promise<void>) {
  const onAbort = () => void Promise.resolve(teardown()).catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await work();
  } finally {
    signal.removeEventListener('abort', onAbort);
    await Promise.resolve(teardown()).catch(() => {});
  }
}

const postgresql: Connector = async (endpoint, timeoutMs, signal) => {
  pgDriver ??= loadPg();
  const pg = (await pgDriver).default;
  const client = new pg.Client({
    host: endpoint.address,
    port: endpoint.port,
    user: endpoint.username,
    password: endpoint.password,
    // Every server has it, whatever the user's own databases are called.
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'sealos-state-metrics',
  });
  client.on('error', () => {});
  let connected = false;
  const connection = (
    client as unknown as { connection: { _ending: boolean; stream: { destroy(e?: Error): void } } }
  ).connection;
  await guarded(
    signal,
    () => {
      if (connected) {
        connected = false;
        return client.end();
      }
      // What pg itself does when connectionTimeoutMillis passes: end() would wait for a
      // graceful close that a hung server never gives.
      connection._ending = true;
      connection.stream.destroy(new Error('check deadline'));
    },
    async () => {
      await client.connect();
      connected = !signal.aborted;
      await client.query('SELECT 1');
    },
  );
};

const mysql: Connector = async (endpoint, timeoutMs, signal) => {
  mysqlDriver ??= loadMysql();
  const { createConnection } = await mysqlDriver;
  const connection = createConnection({
    host: endpoint.address,
    port: endpoint.port,
    user: endpoint.username,
    password: endpoint.password,
    connectTimeout: timeoutMs,
    // A check prepares nothing; mysql2's statement cache is sized by this and filled in up
    // front (four arrays of 16,000 by default): ~0.5 MiB of heap per connection, 25 MiB for
    // the 50 at once of a round.
    maxPreparedStatements: 1,
  });
  connection.on('error', () => {});
  let healthy = false;
  await guarded(
    signal,
    () => {
      if (healthy) {
        healthy = false;
        // QUIT, so the server does not log an aborted connection.
        return new Promise<void>((resolve) => connection.end(() => resolve()));
      }
      connection.destroy();
    },
    async () => {
      await connection.promise().ping();
      healthy = !signal.aborted;
    },
  );
};

const mongodb: Connector = async (endpoint, timeoutMs, signal) => {
  mongoDriver ??= loadMongo();
  const { MongoClient } = await mongoDriver;
  const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
  const client = new MongoClient(`mongodb://${host}:${endpoint.port}/`, {
    auth: { username: endpoint.username, password: endpoint.password },
    authSource: 'admin',
    // The member list a replica set announces names in-cluster hosts: talk to this one only.
    directConnection: true,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    maxPoolSize: 1,
    minPoolSize: 0,
    retryReads: false,
    retryWrites: false,
    appName: 'sealos-state-metrics',
  });
  // Server selection retries until its timeout; the first failed heartbeat already says why
  // (refused, reset), so fail with it at once.
  let heartbeatFailure: ((error: Error) => void) | undefined;
  const failedHeartbeat = new Promise<never>((_, reject) => {
    heartbeatFailure = reject;
  });
  failedHeartbeat.catch(() => {});
  client.on('serverHeartbeatFailed', (event) => heartbeatFailure?.(event.failure));
  await guarded(
    signal,
    () => client.close(true),
    async () => {
      await Promise.race([client.connect(), failedHeartbeat]);
      await client.db('admin').command({ ping: 1 });
    },
  );
};

const redis: Connector = async (endpoint, timeoutMs, signal) => {
  redisDriver ??= loadRedis();
  const { Redis } = await redisDriver;
  const client = new Redis({
    host: endpoint.address,
    port: endpoint.port,
    ...(endpoint.username ? { username: endpoint.username } : {}),
    password: endpoint.password,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    autoResendUnfulfilledCommands: false,
  });
  // A refused AUTH surfaces as an 'error' event; connect() then only says the connection closed.
  let refusal: Error | undefined;
  client.on('error', (error: Error) => {
    refusal ??= error;
  });
  await guarded(
    signal,
    () => client.disconnect(false),
    async () => {
      try {
        await client.connect();
        await client.ping();
      } catch (error) {
        throw refusal ?? error;
      }
    },
  );
};

export const CONNECTORS: Readonly<Record<DatabaseType, Connector>> = { mysql, postgresql, mongodb, redis };
