/** What the kubelet projects into a pod for its service account, written where a test wants it. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProjectedServiceAccount {
  readonly token: string;
  readonly ca: string;
  readonly namespace: string;
}

/** Writes `token`, `ca.crt` and `namespace` into `dir`, as the kubelet's projected volume holds them. */
export async function writeServiceAccountFiles(dir: string, files: ProjectedServiceAccount): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token'), files.token);
  await writeFile(join(dir, 'ca.crt'), files.ca);
  await writeFile(join(dir, 'namespace'), files.namespace);
}
