import {
  CellEntity,
  InferenceDeploymentEntity,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderCellManifests } from './cell/renderCellManifests';
import { renderInferenceManifests } from './inference/renderInferenceManifests';
import { validateManifests } from './validateManifests';
import { Manifest } from './types';

const examples = path.resolve(__dirname, '../../../../examples');

function load<T>(
  file: string,
  kind: 'Cell' | 'Tenant' | 'InferenceDeployment',
): T[] {
  return parseAllDocuments(
    fs.readFileSync(path.join(examples, file), 'utf8'),
  ).map(doc => {
    const result = validatePlatformEntity(kind, doc.toJS());
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.entity as T;
  });
}

const cells = load<CellEntity>('cells.yaml', 'Cell');
const tenants = load<TenantEntity>('tenants.yaml', 'Tenant');
const deployments = load<InferenceDeploymentEntity>(
  'inference-deployments.yaml',
  'InferenceDeployment',
);
const cell = (name: string) => cells.find(c => c.metadata.name === name)!;
/** The cell without its GPU pool: no inference namespace. */
const withoutGpus = (c: CellEntity): CellEntity => ({
  ...c,
  spec: { ...c.spec, capacity: { ...c.spec.capacity, gpus: 0 } },
});
const find = (manifests: Manifest[], kind: string, namespace?: string) =>
  manifests.filter(
    m =>
      m.kind === kind &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );

describe('renderCellManifests', () => {
  it.each(cells.map(c => [c.metadata.name, c]))(
    'renders valid Kubernetes objects for %s',
    (_name, c) => {
      const manifests = renderCellManifests({ cell: c as CellEntity, tenants });
      expect(manifests.length).toBeGreaterThan(0);
      expect(validateManifests(manifests)).toEqual([]);
    },
  );

  it('gives a shared cell one locked-down namespace per tenant and a shared gateway', () => {
    const manifests = renderCellManifests({
      cell: withoutGpus(cell('eu-west-shared-1')),
      tenants,
    });
    expect(find(manifests, 'Namespace').map(n => n.metadata.name)).toEqual([
      'cellport-shared-gateway',
      'tenant-northwind-retail',
    ]);
    const gateway = find(manifests, 'HorizontalPodAutoscaler')[0] as any;
    expect(gateway.metadata.namespace).toBe('cellport-shared-gateway');
    expect(gateway.spec.minReplicas).toBe(4);
    expect(
      renderCellManifests({
        cell: cell('eu-west-shared-1'),
        tenants,
        includeGateway: false,
      }).filter(m => m.kind === 'Deployment'),
    ).toEqual([]);
    const kinds = manifests
      .filter(m => m.metadata.namespace === 'tenant-northwind-retail')
      .map(m => m.kind);
    expect(kinds).toEqual([
      'ResourceQuota',
      'LimitRange',
      'NetworkPolicy',
      'NetworkPolicy',
      'ServiceAccount',
    ]);
    const quota = find(manifests, 'ResourceQuota')[0] as any;
    expect(quota.spec.hard['requests.cpu']).toBe('4'); // basic tier
    const allow = manifests.find(
      m => m.metadata.name === 'allow-gateway',
    ) as any;
    expect(allow.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual(
      {
        'kubernetes.io/metadata.name': 'cellport-shared-gateway',
      },
    );
  });

  it('gives a namespace to every tenant the cell hosts: one onboarded since, naming the cell, and one listed in other letter case', () => {
    // Left out, the next deploy of the cell would prune the tenant's namespace.
    const late: TenantEntity = {
      ...tenants.find(t => t.metadata.name === 'northwind-retail')!,
      metadata: { name: 'acme-late', namespace: 'default' },
    };
    late.spec = { ...late.spec, cell: 'eu-west-shared-1' };
    const shared = withoutGpus(cell('eu-west-shared-1'));
    const listedInOtherCase: CellEntity = {
      ...shared,
      spec: { ...shared.spec, tenants: ['tenant:default/Northwind-Retail'] },
    };
    const manifests = renderCellManifests({
      cell: listedInOtherCase,
      tenants: [...tenants, late],
    });
    expect(
      find(manifests, 'Namespace')
        .map(n => n.metadata.name)
        .sort(),
    ).toEqual([
      'cellport-shared-gateway',
      'tenant-acme-late',
      'tenant-northwind-retail',
    ]);
  });

  it('gives dedicated and customer-VPC cells their own gateway, the same manifests in both', () => {
    for (const name of ['meridian-dedicated', 'helios-vpc']) {
      const manifests = renderCellManifests({ cell: cell(name), tenants });
      const runtimeKinds = manifests
        .filter(m => m.metadata.namespace === 'cellport-runtime')
        .map(m => m.kind)
        .sort();
      expect(runtimeKinds).toEqual(
        [
          'Deployment',
          'HorizontalPodAutoscaler',
          'NetworkPolicy',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Service',
          'ServiceAccount',
        ].sort(),
      );
      const gateway = find(manifests, 'Deployment')[0] as any;
      const container = gateway.spec.template.spec.containers[0];
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      expect(gateway.metadata.labels['backstage.io/kubernetes-id']).toBe(name);
    }
  });

  it('gives a GPU cell the namespace its inference deployments share, locked down', () => {
    const manifests = renderCellManifests({
      cell: cell('meridian-dedicated'),
      tenants,
    });
    const inference = manifests.filter(
      m =>
        m.metadata.namespace === 'cellport-inference' ||
        m.metadata.name === 'cellport-inference',
    );
    expect(inference.map(m => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Namespace/cellport-inference',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/vllm-traffic',
    ]);
    expect(validateManifests(inference)).toEqual([]);
    const shared = renderCellManifests({
      cell: withoutGpus(cell('eu-west-shared-1')),
      tenants,
    });
    expect(shared.some(m => m.metadata.name === 'cellport-inference')).toBe(
      false,
    );
  });

  it('leaves the replica count to the autoscaler', () => {
    const manifests = [
      ...renderCellManifests({ cell: cell('meridian-dedicated'), tenants }),
      ...renderInferenceManifests({
        deployment: deployments[0],
        cell: 'meridian-dedicated',
      }),
    ];
    const deploymentsRendered = find(manifests, 'Deployment') as any[];
    expect(deploymentsRendered.length).toBe(2);
    for (const deployment of deploymentsRendered) {
      expect(deployment.spec).not.toHaveProperty('replicas');
      expect(
        find(manifests, 'HorizontalPodAutoscaler').some(
          (hpa: any) =>
            hpa.spec.scaleTargetRef.name === deployment.metadata.name,
        ),
      ).toBe(true);
    }
  });

  it("caps the gateway's event spool below its volume's size limit, which would evict the pod and delete the spool", () => {
    const gateway = find(
      renderCellManifests({ cell: cell('meridian-dedicated'), tenants }),
      'Deployment',
    )[0] as any;
    const pod = gateway.spec.template.spec;
    const env = Object.fromEntries(
      pod.containers[0].env.map((e: any) => [e.name, e.value]),
    );
    const mount = pod.containers[0].volumeMounts.find(
      (m: any) => m.mountPath === env.GATEWAY_SPOOL_DIR,
    );
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    const units: Record<string, number> = { Mi: 2 ** 20, Gi: 2 ** 30 };
    const [, size, unit] = /^(\d+)(Mi|Gi)$/.exec(volume.emptyDir.sizeLimit)!;
    const limit = Number(size) * units[unit];
    // The open segment, the lock and a batch being written come on top of the cap.
    expect(Number(env.GATEWAY_SPOOL_MAX_BYTES)).toBeGreaterThan(0);
    expect(Number(env.GATEWAY_SPOOL_MAX_BYTES)).toBeLessThanOrEqual(
      limit * 0.8,
    );
  });

  it("serves the gateway's metrics on a port only the monitoring namespace reaches, not on the tenants' API port", () => {
    // A scrape shows every tenant's spend, budget and models.
    const manifests = [
      ...renderCellManifests({ cell: cell('meridian-dedicated'), tenants }),
      ...renderCellManifests({ cell: cell('eu-west-shared-1'), tenants }),
    ];
    const gateway = find(manifests, 'Deployment')[0] as any;
    const container = gateway.spec.template.spec.containers[0];
    const env = Object.fromEntries(
      container.env.map((e: any) => [e.name, e.value]),
    );
    const ports = Object.fromEntries(
      container.ports.map((p: any) => [p.name, p.containerPort]),
    );
    expect(Number(env.GATEWAY_METRICS_PORT)).toBe(ports.metrics);
    expect(Number(env.GATEWAY_PORT)).toBe(ports.http);
    expect(ports.metrics).not.toBe(ports.http);
    expect(gateway.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/port': String(ports.metrics),
    });
    const service = find(manifests, 'Service', gateway.metadata.namespace)[0];
    expect((service.spec as any).ports).toContainEqual(
      expect.objectContaining({ name: 'metrics', targetPort: 'metrics' }),
    );

    // Who may reach which port: ingress rules of the gateway's namespace.
    const ingress = find(
      manifests,
      'NetworkPolicy',
      gateway.metadata.namespace,
    ).flatMap((policy: any) => policy.spec.ingress ?? []);
    const admitting = (port: number) =>
      ingress
        .filter((rule: any) => rule.ports?.some((p: any) => p.port === port))
        .flatMap((rule: any) => rule.from);
    expect(admitting(ports.metrics)).toEqual([
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
        },
      },
    ]);
    expect(admitting(ports.http)).not.toContainEqual(
      expect.objectContaining({
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
        },
      }),
    );
    // Tenants' pods send only to the API's port (the shared cell's too).
    const tenantEgress = find(manifests, 'NetworkPolicy')
      .filter(policy => policy.metadata.namespace?.startsWith('tenant-'))
      .flatMap((policy: any) => policy.spec.egress ?? [])
      .flatMap((rule: any) => rule.ports ?? [])
      .map((p: any) => p.port);
    expect(tenantEgress).toContain(ports.http);
    expect(tenantEgress).not.toContain(ports.metrics);
  });

  it("gives the gateway every upstream credential its profiles name, from the cell's Secret, and time to leave its Service", () => {
    // Before, the reconciler named OPENAI_API_KEY and the like in the state and no manifest
    // set them: every hosted model was called without a key.
    for (const name of ['meridian-dedicated', 'eu-west-shared-1']) {
      const gateway = find(
        renderCellManifests({ cell: cell(name), tenants }),
        'Deployment',
      ).find(d => d.metadata?.name === 'cellport-gateway') as any;
      const env = Object.fromEntries(
        gateway.spec.template.spec.containers[0].env.map((e: any) => [
          e.name,
          e.value,
        ]),
      );
      // It serves on, not ready, while the Service lets go; then drains within the grace.
      expect(Number(env.GATEWAY_SHUTDOWN_DELAY_MS)).toBeGreaterThan(0);
      expect(Number(env.GATEWAY_SHUTDOWN_DELAY_MS) / 1000 + 30).toBeLessThan(
        gateway.spec.template.spec.terminationGracePeriodSeconds,
      );
      expect(gateway.spec.template.spec.containers[0].envFrom).toEqual([
        {
          secretRef: {
            name: 'cellport-gateway-upstream-credentials',
            optional: true,
          },
        },
      ]);
    }
  });

  it('uses the image it is given', () => {
    const manifests = renderCellManifests({
      cell: cell('meridian-dedicated'),
      tenants,
      images: { gateway: 'registry.internal/cellport/gateway@sha256:abc' },
    });
    const gateway = find(manifests, 'Deployment')[0] as any;
    expect(gateway.spec.template.spec.containers[0].image).toBe(
      'registry.internal/cellport/gateway@sha256:abc',
    );
  });
});

describe('renderInferenceManifests', () => {
  it.each(deployments.map(d => [d.metadata.name, d]))(
    'renders valid Kubernetes objects for %s',
    (_name, d) => {
      const manifests = renderInferenceManifests({
        deployment: d as InferenceDeploymentEntity,
        cell: (d as InferenceDeploymentEntity).spec.cell,
      });
      expect(manifests.map(m => m.kind)).toEqual([
        'Deployment',
        'Service',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
      ]);
      expect(validateManifests(manifests)).toEqual([]);
    },
  );

  it('asks for the GPUs, the GPU pool and shared memory, and passes the spec to vLLM', () => {
    const [deployment, , hpa] = renderInferenceManifests({
      deployment: deployments[0],
      cell: 'meridian-dedicated',
    }) as any[];
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.resources.limits['nvidia.com/gpu']).toBe('4');
    expect(pod.nodeSelector).toEqual({
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
    });
    expect(pod.tolerations[0].key).toBe('nvidia.com/gpu');
    expect(pod.volumes[0]).toEqual({
      name: 'shm',
      emptyDir: { medium: 'Memory', sizeLimit: '16Gi' },
    });
    expect(container.args.join(' ')).toContain(
      '--model meta-llama/Llama-3.1-70B-Instruct --host 0.0.0.0 --port 8000 --tensor-parallel-size 4 --max-model-len 16384 --max-num-seqs 20',
    );
    expect(container.readinessProbe.httpGet.path).toBe('/health');
    expect(hpa.spec.metrics[0].pods.target.averageValue).toBe('8');
  });

  it('adds pipeline parallelism when a replica has more GPUs than the tensor-parallel size', () => {
    const [deployment] = renderInferenceManifests({
      deployment: {
        ...deployments[0],
        spec: { ...deployments[0].spec, gpu: { type: 'H100-80GB', count: 8 } },
      },
      cell: 'meridian-dedicated',
    }) as any[];
    expect(
      deployment.spec.template.spec.containers[0].args.join(' '),
    ).toContain('--tensor-parallel-size 4 --pipeline-parallel-size 2');
  });
});

describe('validateManifests', () => {
  it('names the object and the problem', () => {
    const problems = validateManifests([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: {},
      },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
    ]);
    expect(problems[0].object).toBe('Deployment/x');
    expect(problems[0].message).toMatch(/selector|template/);
    expect(problems[1]).toEqual({
      object: 'Widget/w',
      message: 'unknown apiVersion/kind example.com/v1/Widget',
    });
  });
});
