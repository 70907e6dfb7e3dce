/**
 * The machine's database servers for tests and benches: one login on each (PostgreSQL role,
 * MariaDB user, Redis ACL user) made for the run and removed after, plus the two listeners
 * every connection test needs: a closed port and one that never answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * The superuser login `test/prepare-machine.sh` (npm's pretest) keeps on the machine's
 * loopback-only PostgreSQL and MariaDB; Redis runs without auth for its default user.
 */
export const TEST_ADMIN = { user: 'ssm_test_admin', password: 'ssm-test-admin' } as const;

/** The test superuser's DSN for `database` on the machine's PostgreSQL. */
export function postgresAdminUrl(database = 'postgres'): string {
  return `postgresql://${TEST_ADMIN.user}:${TEST_ADMIN.password}@127.0.0.1:5432/${database}`;
}

/** `connect`, or an error that names the server and how to get it, not a driver's bare ECONNREFUSED. */
async function reach<T>(server: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new Error(
      `the machine's ${server} is not reachable (${(error as Error).message}): ` +
        'bash test/prepare-machine.sh installs and starts it (npm test runs it first)',
    );
  }
}

/** Creates `user` with `password` on PostgreSQL, MariaDB and Redis; resolves to the cleanup. */
export async function createDatabaseLogins(user: string, password: string): Promise<() => Promise<void>> {
  const postgres = new pg.Client({ connectionString: postgresAdminUrl() });
  await reach('PostgreSQL on 127.0.0.1:5432', () => postgres.connect());
  await postgres.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  await postgres.query(`CREATE ROLE ${user}_nologin NOLOGIN`);
  const maria = await reach('MariaDB on 127.0.0.1:3306', () =>
    mysql.createConnection({
      host: '127.0.0.1',
      port: 3306,
      user: TEST_ADMIN.user,
      password: TEST_ADMIN.password,
    }),
  );
  await maria.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await reach('Redis on 127.0.0.1:6379', () => redis.connect());
  await redis.call('ACL', 'SETUSER', user, 'on', `>${password}`, '+ping');
  return async () => {
    await postgres.query(`DROP ROLE IF EXISTS ${user}`);
    await postgres.query(`DROP ROLE IF EXISTS ${user}_nologin`);
    await postgres.end();
    await maria.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
    await maria.end();
    await redis.call('ACL', 'DELUSER', user);
    redis.disconnect();
  };
}

/** A port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface SilentServer {
  readonly port: number;
  /** Connections still open from the server's side: a client that leaks its socket shows here. */
  openConnections(): Promise<number>;
  stop(): Promise<void>;
}

/** Accepts connections and never says a word, as a hung server does. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Read (and drop) what the client sends, so its hang-up is seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
