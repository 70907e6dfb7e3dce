import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { CheckFailure, classifyFailure, FAILURE_REASONS, type FailureReason } from './failure.js';

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall: 'connect' });
}

test('driver errors map to the closed set of reasons', () => {
  const cases: [unknown, FailureReason][] = [
    [new CheckFailure('no_endpoints', 'service a/b has no ready endpoints'), 'no_endpoints'],
    [systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432'), 'refused'],
    [systemError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:3306'), 'unreachable'],
    [systemError('ECONNRESET', 'read ECONNRESET'), 'reset'],
    [systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.ns.svc'), 'dns'],
    // pg: a DatabaseError carries the SQLSTATE in code.
    [
      Object.assign(new Error('password authentication failed for user "u"'), { code: '28P01' }),
      'auth_failed',
    ],
    [Object.assign(new Error('role "u" is not permitted to log in'), { code: '28000' }), 'auth_failed'],
    [new Error('Connection terminated due to connection timeout'), 'timeout'],
    [new Error('Connection terminated unexpectedly'), 'reset'],
    // mysql2
    [
      Object.assign(new Error("Access denied for user 'u'@'10.0.0.2' (using password: YES)"), {
        code: 'ER_ACCESS_DENIED_ERROR',
        errno: 1045,
      }),
      'auth_failed',
    ],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'timeout'],
    [
      Object.assign(new Error('Packets out of order. Got: 80 Expected: 0'), {
        code: 'PROTOCOL_PACKETS_OUT_OF_ORDER',
      }),
      'protocol',
    ],
    // ioredis
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'auth_failed'],
    [new Error('NOAUTH Authentication required.'), 'auth_failed'],
    // mongodb
    [
      new MongoServerError({
        ok: 0,
        errmsg: 'Authentication failed.',
        code: 18,
        codeName: 'AuthenticationFailed',
      }),
      'auth_failed',
    ],
    [new MongoNetworkError('connection 1 to 10.0.0.1:27017 closed'), 'reset'],
    [
      new MongoServerSelectionError('connect ECONNREFUSED 10.0.0.1:27017', {
        type: 'Unknown',
        servers: new Map(),
      } as never),
      'refused',
    ],
    [Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tls'],
    [new Error('something nobody expected'), 'unknown'],
    ['a string thrown', 'unknown'],
    [new Error('wrapper', { cause: systemError('ECONNREFUSED', 'inner') }), 'refused'],
  ];
  for (const [error, expected] of cases) {
    const reason = classifyFailure(error);
    assert.equal(reason, expected, String((error as Error).message ?? error));
    assert.ok(FAILURE_REASONS.includes(reason));
  }
});
