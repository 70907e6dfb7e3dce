import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { imagepullConfig } from './config.js';
import { imagepull } from './imagepull.js';
import { classifyPullFailure, originalPullReason, pulledSeconds } from './reasons.js';
import { isPublicRegistry, registryOf } from './reference.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

test('registry label and the allow-list, as the original (with the two fixes the README names)', () => {
  const cases: [image: string, registry: string, reported: boolean][] = [
    ['nginx', 'docker.io', true],
    ['nginx:1.27', 'docker.io', true],
    ['docker.io/library/nginx', 'docker.io', true],
    ['index.docker.io/library/nginx:1', 'index.docker.io', false],
    ['ghcr.io/labring/sealos:v5', 'ghcr.io', true],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io', true],
    ['k8s.gcr.io/pause:3.2', 'k8s.gcr.io', true],
    ['quay.io/prometheus/node-exporter:v1', 'quay.io', true],
    [`quay.io/prometheus/node-exporter@${DIGEST}`, 'quay.io', true],
    ['registry.cn-hangzhou.aliyuncs.com/acme/api:2', 'registry.cn-hangzhou.aliyuncs.com', true],
    ['acme-registry.cn-hangzhou.cr.aliyuncs.com/a/b:1', 'acme-registry.cn-hangzhou.cr.aliyuncs.com', true],
    ['hub.hzh.sealos.run/ns-abc/app:v1', 'hub.hzh.sealos.run', true],
    ['sealos.hub:5000/ns/app:v1', 'sealos.hub:5000', true],
    // TestProcessPodSkipsPrivateRegistryFailures: a private registry is not reported.
    ['example.internal/team/app:latest', 'example.internal', false],
    ['hub.sealos.cn/ns-abc/app:v1', 'hub.sealos.cn', false],
    // Fix 1: a Docker Hub image with a namespace counts, as a bare name did.
    ['bitnami/redis:7.2', 'docker.io', true],
    // Fix 2: a port or localhost makes the first component a registry (docker.io in the original).
    ['localhost:5000/team/app:dev', 'localhost:5000', false],
    ['localhost/app', 'localhost', false],
    ['registry:5000/app', 'registry:5000', false],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', false],
    ['', 'unknown', true],
  ];
  for (const [image, registry, reported] of cases) {
    assert.equal(registryOf(image), registry, image);
    assert.equal(isPublicRegistry(image), reported, image);
  }
});

// labring/sealos-state-metrics pkg/collector/imagepull/imagepull_test.go,
// TestFailureClassifierMatchesLegacyRules: the `reason` label.
test("the original's classifier tests, case by case", () => {
  const cases: [string, string, string][] = [
    [
      'ErrImagePull',
      'rpc error: code = NotFound desc = failed to pull and unpack image: manifest unknown',
      'image_not_found',
    ],
    ['ErrImagePull', 'proxyconnect tcp: proxy error', 'proxy_error'],
    [
      'ErrImagePull',
      'pull access denied, repository does not exist or may require authorization: authorization failed',
      'image_not_found',
    ],
    ['ErrImagePull', 'Get https://registry.example/v2/: tls handshake timeout', 'tls_handshake_error'],
    ['ErrImagePull', 'dial tcp 1.2.3.4:443: connect: connection refused', 'connection_refused'],
    ['ErrImagePull', 'failed to do request: Head https://registry.example/v2/', 'network_error'],
    ['ImagePullBackOff', 'Back-off pulling image "nginx:bad"', 'back_off_pulling_image'],
    ['RegistryUnavailable', 'registry unavailable', 'registryunavailable'],
    ['InvalidImageName', 'Failed to apply default image tag', 'invalidimagename'],
    ['ImageInspectError', 'failed to inspect image', 'imageinspecterror'],
  ];
  for (const [waiting, message, expected] of cases)
    assert.equal(originalPullReason(waiting, message), expected, message);
});

test('kubelet messages from containerd and CRI-O: our finer cause, and the reason the original gives them', () => {
  const cases: [string, string, string][] = [
    // containerd
    [
      'ErrImagePull',
      'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found',
      'image_not_found',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/private:1": failed to resolve reference "ghcr.io/acme/private:1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fprivate%3Apull&service=ghcr.io: 401 Unauthorized',
      'unauthorized',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1.27": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.',
      'rate_limited',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1.27": failed to resolve reference "docker.io/library/nginx:1.27": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": dial tcp 54.236.113.205:443: i/o timeout',
      'io_timeout',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "10.0.0.5:5000/app:1": failed to resolve reference "10.0.0.5:5000/app:1": failed to do request: Head "https://10.0.0.5:5000/v2/app/manifests/1": dial tcp 10.0.0.5:5000: connect: connection refused',
      'connection_refused',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "registry.internal/app:1": failed to resolve reference "registry.internal/app:1": failed to do request: Head "https://registry.internal/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'tls_handshake_error',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1": failed to resolve reference "docker.io/library/nginx:1": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused',
      'proxy_error',
    ],
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1": failed to resolve reference "docker.io/library/nginx:1": failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1": EOF',
      'network_error',
    ],
    // CRI-O
    [
      'ErrImagePull',
      'rpc error: code = Unknown desc = reading manifest nope in docker.io/library/nginx: manifest unknown: manifest unknown',
      'image_not_found',
    ],
    [
      'ErrImagePull',
      'initializing source docker://quay.io/acme/private:1: reading manifest 1 in quay.io/acme/private: unauthorized: access to the requested resource is not authorized',
      'unauthorized',
    ],
    [
      'ErrImagePull',
      'pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp: lookup registry.example.com: no such host',
      'dns_error',
    ],
    ['ErrImagePull', 'something the runtime never said before', 'unknown'],
    // kubelet's own
    ['ImagePullBackOff', 'Back-off pulling image "nginx:nope"', 'back_off_pulling_image'],
    [
      'InvalidImageName',
      'Failed to apply default image tag "Nginx": couldn\'t parse image reference "Nginx": invalid reference format: repository name must be lowercase',
      'invalidimagename',
    ],
    [
      'ErrImageNeverPull',
      'Container image "app:local" is not present with pull policy of Never',
      'errimageneverpull',
    ],
    ['RegistryUnavailable', 'registry unavailable', 'registryunavailable'],
  ];
  for (const [waiting, message, expected] of cases) {
    assert.equal(classifyPullFailure(waiting, message), expected, message.slice(0, 80));
  }
  // The original's reason for the same messages: the same class but for these.
  const originalDiffers: Record<string, string> = {
    rate_limited: 'unknown', // no 429 pattern there
    'no such host': 'unknown', // "no such host" is none of its patterns
  };
  for (const [waiting, message, cause] of cases) {
    const expected = message.includes('no such host')
      ? originalDiffers['no such host']
      : (originalDiffers[cause] ?? cause);
    assert.equal(originalPullReason(waiting, message), expected, message.slice(0, 80));
  }
});

// Messages as users reported them in public issues (the source beside each; registry blob URLs
// shortened): each family lands in one cause, and the original's reason is what its classifier
// gives the same text.
test('real messages from public reports, by source: DNS, timeouts, TLS, credentials, rate limits, proxies, manifests', () => {
  const reports: [source: string, message: string, cause: string, original: string][] = [
    [
      'hjacobs/kube-ops-view#174 (dockerd)',
      'rpc error: code = Unknown desc = Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: server misbehaving',
      'dns_error',
      'unknown',
    ],
    [
      'docker/for-mac#1317 (dockerd, DNS server not answering)',
      'Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 192.168.1.1:53: read udp 192.168.1.2:46200->192.168.1.1:53: i/o timeout',
      'dns_error',
      'io_timeout',
    ],
    [
      'docker/for-win#841 (dockerd)',
      'Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
      'io_timeout',
      'unknown',
    ],
    [
      'kubernetes/kubernetes#107340 (kubelet, dockerd)',
      'rpc error: code = Unknown desc = Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: TLS handshake timeout',
      'io_timeout',
      'tls_handshake_error',
    ],
    [
      'k3s-io/k3s#1272 (containerd)',
      'failed to resolve reference "docker.io/rancher/pause:3.1": failed to do request: Head https://registry-1.docker.io/v2/rancher/pause/manifests/3.1: dial tcp 34.197.189.129:443: i/o timeout',
      'io_timeout',
      'io_timeout',
    ],
    [
      'GoogleCloudPlatform/horizon-sdv#8 (kubelet, containerd)',
      'failed to pull and unpack image "harbor.scpmtk.com/mtk-connect/mtk-connect-installers:v1.8.1": failed to resolve reference "harbor.scpmtk.com/mtk-connect/mtk-connect-installers:v1.8.1": failed to do request: Head "https://harbor.scpmtk.com/v2/mtk-connect/mtk-connect-installers/manifests/v1.8.1": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-06-12T03:05:25Z is after 2025-06-07T05:48:45Z',
      'tls_handshake_error',
      'tls_handshake_error',
    ],
    [
      'Kong/charts#257 (kubelet, dockerd)',
      'rpc error: code = Unknown desc = Error response from daemon: Get https://kong-docker-kubernetes-ingress-controller.bintray.io/v2/: x509: certificate has expired or is not yet valid',
      'tls_handshake_error',
      'unknown',
    ],
    [
      'goharbor/harbor#10004 (kubelet, containerd)',
      'no available registry endpoint: failed to fetch oauth token: unexpected status: 403 Forbidden',
      'unauthorized',
      'unknown',
    ],
    [
      'istio/community#25 (kubelet, dockerd)',
      'rpc error: code = Unknown desc = Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 192.168.64.1:53: server misbehaving',
      'dns_error',
      'unknown',
    ],
    [
      'kata-containers/kata-containers#10109 (kubelet, containerd)',
      'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/busybox/manifests/sha256:50aa4698fa6262977cff89181b2664b99d8a56dbca847bf62f2ef04854597cf8: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
      'rate_limited',
      'unknown',
    ],
    [
      'ceph/ceph-csi#2029 (kubelet, dockerd)',
      'rpc error: code = Unknown desc = Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
      'rate_limited',
      'unknown',
    ],
    [
      'red-hat-storage/ocs-ci#4494 (kubelet, CRI-O)',
      'rpc error: code = Unknown desc = Error reading manifest latest in docker.io/obsidiandynamics/kafdrop: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
      'rate_limited',
      'unknown',
    ],
    [
      'kubernetes/kubeadm#2936 (containerd)',
      'rpc error: code = Unknown desc = failed to pull and unpack image "registry.k8s.io/kube-proxy:v1.28.2": failed to resolve reference "registry.k8s.io/kube-proxy:v1.28.2": failed to do request: Head "https://registry.k8s.io/v2/kube-proxy/manifests/v1.28.2": dial tcp 34.96.108.209:443: connect: connection timed out',
      'io_timeout',
      'network_error',
    ],
    [
      'ray-project/ray#46813 (kubelet, containerd behind an HTTP proxy; the issue title)',
      'proxyconnect tcp: dial tcp 127.0.0.1:1082: connect: connection refused',
      'proxy_error',
      'proxy_error',
    ],
    [
      'asobti/kube-monkey#157 (dockerd)',
      'Error response from daemon: manifest for ayushsobti/kube-monkey:latest not found',
      'image_not_found',
      'image_not_found',
    ],
  ];
  for (const [source, message, cause, original] of reports) {
    assert.equal(classifyPullFailure('ErrImagePull', message), cause, source);
    assert.equal(originalPullReason('ErrImagePull', message), original, source);
  }
});

test('the pull time in a Pulled message', () => {
  assert.equal(
    pulledSeconds(
      'Successfully pulled image "nginx:1.27" in 3.201s (3.201s including waiting). Image size: 72099410 bytes.',
    ),
    3.201,
  );
  assert.equal(pulledSeconds('Successfully pulled image "big:1" in 6m2.5s (6m3s including waiting)'), 362.5);
  assert.equal(pulledSeconds('Successfully pulled image "x" in 512ms (512ms including waiting)'), 0.512);
  assert.equal(pulledSeconds('Container image "nginx:1.27" already present on machine'), undefined);
});

function pod(
  name: string,
  node: string,
  containers: { name: string; image: string; waiting?: { reason: string; message?: string }; id?: string }[],
  startTime = '2026-11-25T09:50:00Z',
) {
  return {
    metadata: { name, namespace: 'ns-a', uid: `uid-${name}` },
    spec: { nodeName: node, containers: containers.map((c) => ({ name: c.name, image: c.image })) },
    status: {
      phase: 'Pending',
      startTime,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        ready: false,
        restartCount: 0,
        ...(c.id ? { containerID: c.id } : {}),
        state: c.waiting ? { waiting: c.waiting } : { running: { startedAt: startTime } },
      })),
    },
  };
}

function event(
  name: string,
  podName: string,
  container: string,
  reason: string,
  message: string,
  at: string,
) {
  return {
    metadata: { name, namespace: 'ns-a' },
    involvedObject: {
      kind: 'Pod',
      namespace: 'ns-a',
      name: podName,
      fieldPath: `spec.containers{${container}}`,
    },
    reason,
    message,
    type: reason === 'Failed' ? 'Warning' : 'Normal',
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: 'kubelet', host: 'node-1' },
  };
}

test('pods in each failure state and slow pulls, with events (golden); a fixed pod goes; back-off keeps the root cause', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  const notFound =
    'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": not found';
  server.create(
    'pods',
    pod('missing', 'node-1', [
      { name: 'web', image: 'nginx:nope', waiting: { reason: 'ErrImagePull', message: notFound } },
    ]),
  );
  // Back-off with a generic message: the Failed event still says why.
  server.create(
    'pods',
    pod('private', 'node-1', [
      {
        name: 'app',
        image: 'ghcr.io/acme/private:1',
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/private:1"' },
      },
    ]),
  );
  server.create(
    'events',
    event(
      'private.1',
      'private',
      'app',
      'Failed',
      'Failed to pull image "ghcr.io/acme/private:1": failed to authorize: 401 Unauthorized',
      '2026-11-25T09:55:00Z',
    ),
  );
  server.create(
    'pods',
    pod('badname', 'node-2', [
      {
        name: 'c',
        image: 'Nginx',
        waiting: { reason: 'InvalidImageName', message: 'invalid reference format' },
      },
    ]),
  );
  server.create(
    'pods',
    pod('never', 'node-2', [{ name: 'c', image: 'app:local', waiting: { reason: 'ErrImageNeverPull' } }]),
  );
  server.create(
    'pods',
    pod('limited', 'node-2', [
      {
        name: 'c',
        image: 'docker.io/library/redis:7',
        waiting: {
          reason: 'ErrImagePull',
          message: 'toomanyrequests: You have reached your pull rate limit',
        },
      },
    ]),
  );
  // Slow: pulling since 09:52 by its event (8 minutes), past 5m.
  server.create(
    'pods',
    pod('bigimage', 'node-3', [
      {
        name: 'job',
        image: 'registry.cn-hangzhou.aliyuncs.com/acme/big:1',
        waiting: { reason: 'ContainerCreating' },
      },
    ]),
  );
  server.create(
    'events',
    event(
      'bigimage.1',
      'bigimage',
      'job',
      'Pulling',
      'Pulling image "registry.cn-hangzhou.aliyuncs.com/acme/big:1"',
      '2026-11-25T09:52:00Z',
    ),
  );
  // Creating for 10 minutes, but the image was pulled: it waits for a volume, not a pull.
  server.create(
    'pods',
    pod('volume', 'node-3', [{ name: 'db', image: 'postgres:16', waiting: { reason: 'ContainerCreating' } }]),
  );
  server.create(
    'events',
    event(
      'volume.1',
      'volume',
      'db',
      'Pulled',
      'Container image "postgres:16" already present on machine',
      '2026-11-25T09:50:30Z',
    ),
  );
  // Creating for 2 minutes: under the threshold.
  server.create(
    'pods',
    pod(
      'young',
      'node-3',
      [{ name: 'c', image: 'busybox', waiting: { reason: 'ContainerCreating' } }],
      '2026-11-25T09:58:00Z',
    ),
  );
  // Healthy.
  server.create('pods', pod('fine', 'node-1', [{ name: 'c', image: 'nginx:1.27', id: 'containerd://abc' }]));
  // TestProcessPodSkipsPrivateRegistryFailures: a registry off the original's allow-list is not
  // reported unless allRegistries is on.
  server.create(
    'pods',
    pod('internal', 'node-1', [
      {
        name: 'app',
        image: 'example.internal/team/app:latest',
        waiting: { reason: 'ErrImagePull', message: 'manifest unknown' },
      },
    ]),
  );
  // TestSlowPullCandidateSkipsBackoffMessages: creating with a back-off message is not a slow pull.
  server.create(
    'pods',
    pod('backingoff', 'node-3', [
      {
        name: 'c',
        image: 'nginx:latest',
        waiting: { reason: 'ContainerCreating', message: 'Back-off pulling image "nginx:latest"' },
      },
    ]),
  );

  const h = harness('sealos', cluster);
  const instrument = imagepull.create(
    { ...h.context('imagepull'), clock: { now: () => NOW } },
    imagepullConfig.parse({}),
  );
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_image_pull').join('\n')}\n`,
    new URL('./testdata/imagepull.prom', import.meta.url),
  );

  const everyRegistry = harness('sealos', cluster);
  const everywhere = imagepull.create(
    { ...everyRegistry.context('imagepull'), clock: { now: () => NOW } },
    imagepullConfig.parse({ allRegistries: true }),
  );
  await everywhere.start();
  await everywhere.ready?.();
  assert.ok(
    samples(await everyRegistry.scrape(), 'sealos_image_pull_failures').includes(
      'sealos_image_pull_failures{namespace="ns-a",pod="internal",node="node-1",registry="example.internal",image="example.internal/team/app:latest",reason="image_not_found",cause="image_not_found"} 1',
    ),
  );
  await everywhere.stop();

  // The specific reason survives ErrImagePull -> ImagePullBackOff (same node, same image).
  server.update(
    'pods',
    pod('missing', 'node-1', [
      {
        name: 'web',
        image: 'nginx:nope',
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:nope"' },
      },
    ]),
  );
  // A fixed pod's series goes.
  server.update(
    'pods',
    pod('limited', 'node-2', [{ name: 'c', image: 'docker.io/library/redis:7', id: 'containerd://def' }]),
  );
  // TestProcessPodPreservesSpecificReasonAcrossBackoff: both labels keep image_not_found. The
  // two updates arrive in order, so once the fixed pod is gone the back-off has been seen.
  const after = await eventually(
    async () => {
      const body = await h.scrape();
      return body.includes('pod="limited"') ? undefined : body;
    },
    5000,
    'fixed pod gone',
  );
  assert.ok(
    samples(after, 'sealos_image_pull_failures').includes(
      'sealos_image_pull_failures{namespace="ns-a",pod="missing",node="node-1",registry="docker.io",image="nginx:nope",reason="image_not_found",cause="image_not_found"} 1',
    ),
    after,
  );
});
