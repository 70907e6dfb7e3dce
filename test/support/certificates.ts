/** Test certificates. */
import { readFileSync } from 'node:fs';
import { generate } from 'selfsigned';

/** A self-signed pair valid for 127.0.0.1 and localhost. */
export async function localhostPair(commonName: string): Promise<{ cert: string; key: string }> {
  return generatePair(commonName, [], undefined);
}

const TEST_CA = {
  cert: readFileSync(new URL('../fixtures/tls/test-ca.crt', import.meta.url), 'utf8'),
  key: readFileSync(new URL('../fixtures/tls/test-ca.key', import.meta.url), 'utf8'),
};

/**
 * A pair signed by the test-only CA that `npm test` trusts through NODE_EXTRA_CA_CERTS, valid for
 * 127.0.0.1, localhost and the given host names.
 */
export function testCaSignedPair(
  hostNames: readonly string[],
  validity: Validity = {},
): Promise<{ cert: string; key: string }> {
  return generatePair(hostNames[0] ?? 'localhost', hostNames, TEST_CA, validity);
}

/** A self-signed pair for the given names (no CA trusts it). */
export function selfSignedPair(hostNames: readonly string[]): Promise<{ cert: string; key: string }> {
  return generatePair(hostNames[0] ?? 'localhost', hostNames, undefined);
}

export interface Validity {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

async function generatePair(
  commonName: string,
  hostNames: readonly string[],
  ca: typeof TEST_CA | undefined,
  validity: Validity = {},
) {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
          ...hostNames.map((value) => ({ type: 2 as const, value })),
        ],
      },
    ],
    ...(ca ? { ca } : {}),
    ...(validity.notBefore ? { notBeforeDate: validity.notBefore } : {}),
    ...(validity.notAfter ? { notAfterDate: validity.notAfter } : {}),
  });
  return { cert: pems.cert, key: pems.private };
}
