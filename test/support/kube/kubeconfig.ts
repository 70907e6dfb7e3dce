/** A kubeconfig for tests: one cluster at `server` trusting `ca` (PEM), one user with `token`. */
export function tokenKubeconfig(options: { server: string; ca: string; token: string }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${options.server}\n    certificate-authority-data: ${Buffer.from(options.ca).toString('base64')}`,
    'users:',
    `- name: test\n  user:\n    token: ${options.token}`,
    'contexts:',
    '- name: test\n  context:\n    cluster: test\n    user: test',
    'current-context: test',
    '',
  ].join('\n');
}
