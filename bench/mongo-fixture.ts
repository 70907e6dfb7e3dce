/**
 * The MongoDB wire-protocol server in a process of its own, so its server-side sockets and CPU
 * do not count as the checker's. Prints its port, then serves until killed.
 */
import { MongoWireServer } from '../test/support/mongo-wire.js';

const password = process.argv[2] ?? '';
const server = await MongoWireServer.start({ users: { root: password } });
process.stdout.write(`${server.port}\n`);
