/**
 * TLS material from files, re-read when cert-manager (or anyone) rotates them. A new pair that
 * does not load (half-written, mismatched) is rejected and the previous one keeps serving.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readNamedFile } from '../config/named-file.js';

export interface CertificatePair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When the leaf certificate expires. */
  readonly notAfter: Date;
  readonly subject: string;
}

/** Reads and checks a certificate/key pair; errors name the config field and the file. */
export async function loadCertificatePair(certFile: string, keyFile: string): Promise<CertificatePair> {
  const cert = await readNamedFile(certFile, 'server.tls.certFile');
  const key = await readNamedFile(keyFile, 'server.tls.keyFile');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`server.tls.certFile "${certFile}": not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(
      `server.tls.keyFile "${keyFile}": does not load with server.tls.certFile "${certFile}": ${(error as Error).message}`,
    );
  }
  return { cert, key, notAfter: new Date(leaf.validTo), subject: leaf.subject.replaceAll('\n', ', ') };
}
