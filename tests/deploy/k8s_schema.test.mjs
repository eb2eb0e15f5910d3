// Every document of deploy/k8s/ against the Kubernetes OpenAPI schema
// (kubernetes-models: compiled validators, no network), and proof that the
// validator rejects a broken copy. Field semantics (ports, probes, labels,
// limits) are checked by manifests_test.py.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const K8S = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'k8s');

// "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment
async function modelOf(doc) {
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : [null, doc.apiVersion];
  const module = group ? `kubernetes-models/${group}/${version}/${doc.kind}` : `kubernetes-models/${version}/${doc.kind}`;
  return (await import(module))[doc.kind];
}

// deploy/k8s/ and its sidecar example (deploy/k8s/sidecar/).
function manifests() {
  const docs = [];
  for (const dir of [K8S, path.join(K8S, 'sidecar')]) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
      const file = path.relative(K8S, path.join(dir, name));
      for (const parsed of parseAllDocuments(readFileSync(path.join(dir, name), 'utf8'))) {
        assert.deepEqual(parsed.errors, [], file);
        docs.push({ file, doc: parsed.toJS() });
      }
    }
  }
  return docs;
}

test('every manifest validates against its schema', async () => {
  const kinds = [];
  for (const { file, doc } of manifests()) {
    const Model = await modelOf(doc);
    assert.ok(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
    new Model(doc).validate();
    kinds.push(doc.kind);
  }
  assert.deepEqual(kinds.sort(), ['Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'Service']);
});

test('the validator rejects a broken manifest', async () => {
  const { doc } = manifests().find(({ file }) => file === 'deployment.yaml');
  const Model = await modelOf(doc);
  doc.spec.template.spec.containers[0].readinessProbe.grpc.port = 'grpc'; // must be an integer
  assert.throws(() => new Model(doc).validate(), /readinessProbe\/grpc\/port must be integer/);
});
