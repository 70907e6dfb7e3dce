/**
 * The real peers (kube-apiserver, etcd, helm, otelcol, kube-state-metrics) built by test/peers/build.sh from pinned Go
 * modules into a cache outside the tree. Asking for one builds it first if it is not cached, so a
 * single test file run on its own still gets it.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Peer = 'etcd' | 'kube-apiserver' | 'helm' | 'otelcol' | 'kube-state-metrics' | 'crs-eval';

const script = fileURLToPath(new URL('../peers/build.sh', import.meta.url));
const paths = new Map<Peer, string>();

/** The path of a peer's binary; build.sh's one-line reason when it cannot be had. */
export function peerPath(peer: Peer): string {
  let path = paths.get(peer);
  if (!path) {
    try {
      path = execFileSync('bash', [script, '--path', peer], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }).trim();
    } catch (error) {
      throw new Error(`cannot get the ${peer} peer: ${(error as Error).message}`);
    }
    paths.set(peer, path);
  }
  return path;
}
