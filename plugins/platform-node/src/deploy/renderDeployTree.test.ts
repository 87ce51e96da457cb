import {
  CellEntity,
  InferenceDeploymentEntity,
  PlatformKind,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { validateManifests } from '../manifests/validateManifests';
import { renderDeployTree } from './renderDeployTree';

const repo = path.resolve(__dirname, '../../../..');

function kubectl(args: string[]): string {
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8' });
  } catch (error: any) {
    if (error.code === 'ENOENT') {
      throw new Error(
        "kubectl is not installed: the test command installs Debian's kubernetes-client; run `apt-get install kubernetes-client`",
      );
    }
    throw error;
  }
}
const deployDir = path.join(repo, 'deploy');

/** The objects `kubectl kustomize` renders from a directory of deploy/. */
function kustomize(dir: string): any[] {
  const rendered = kubectl(['kustomize', path.join(deployDir, dir)]);
  return parseAllDocuments(rendered).map(d => d.toJS());
}

function load<T>(file: string, kind: PlatformKind): T[] {
  const text = fs.readFileSync(path.join(repo, 'examples', file), 'utf8');
  return parseAllDocuments(text).map(doc => {
    const result = validatePlatformEntity(kind, doc.toJS());
    if (!result.ok)
      throw new Error(`${file}: ${JSON.stringify(result.issues)}`);
    return result.entity as T;
  });
}

/** The embedded app-config's URLs: the demo tree links and posts to the local portal. */
const appConfig = parse(
  fs.readFileSync(path.join(repo, 'app-config.yaml'), 'utf8'),
);

const tree = renderDeployTree(
  {
    cells: load<CellEntity>('cells.yaml', 'Cell'),
    tenants: load<TenantEntity>('tenants.yaml', 'Tenant'),
    inferenceDeployments: load<InferenceDeploymentEntity>(
      'inference-deployments.yaml',
      'InferenceDeployment',
    ),
  },
  {
    portalBaseUrl: appConfig.app.baseUrl,
    backendBaseUrl: appConfig.backend.baseUrl,
  },
);

/** The directories of deploy/ the renderer writes, all of it. */
const RENDERED_DIRS = ['cells', 'inference', 'alertmanager'];

describe('deploy/', () => {
  if (process.env.CELLPORT_UPDATE_DEPLOY === 'true') {
    it('is rewritten from the renderer', () => {
      for (const dir of RENDERED_DIRS) {
        fs.rmSync(path.join(deployDir, dir), { recursive: true, force: true });
      }
      for (const [file, content] of Object.entries(tree)) {
        fs.mkdirSync(path.dirname(path.join(deployDir, file)), {
          recursive: true,
        });
        fs.writeFileSync(path.join(deployDir, file), content);
      }
    });
    return;
  }

  it('holds exactly what the renderer produces for the demo catalog', () => {
    const onDisk = RENDERED_DIRS.flatMap(dir =>
      fs
        .readdirSync(path.join(deployDir, dir), { recursive: true })
        .map(f => `${dir}/${f}`)
        .filter(f => fs.statSync(path.join(deployDir, f)).isFile()),
    );
    expect(onDisk.sort()).toEqual(Object.keys(tree).sort());
    for (const [file, content] of Object.entries(tree)) {
      // On drift: CELLPORT_UPDATE_DEPLOY=true scripts/cellport yarn backstage-cli repo test plugins/platform-node
      expect(
        `${file}:\n${fs.readFileSync(path.join(deployDir, file), 'utf8')}`,
      ).toBe(`${file}:\n${content}`);
    }
  });

  it('renders with kustomize into objects valid against the Kubernetes schemas', () => {
    const kustomizations = Object.keys(tree)
      .filter(f => f.endsWith('/kustomization.yaml'))
      .filter(f => !f.startsWith('cells/tiers/'))
      .map(f => path.dirname(f));
    expect(kustomizations.length).toBe(6);
    for (const dir of kustomizations) {
      const objects = kustomize(dir);
      expect(objects.length).toBeGreaterThan(0);
      expect(
        objects.every(
          o => o.metadata.annotations['cellport.dev/rendered-from'],
        ),
      ).toBe(true);
      expect(validateManifests(objects)).toEqual([]);
      // Prometheus scrapes every Service that serves metrics.
      const scraped = objects
        .filter(o => o.kind === 'ServiceMonitor')
        .map(o => `${o.metadata.namespace}/${o.metadata.name}`);
      const metricServices = objects
        .filter(
          o =>
            o.kind === 'Service' &&
            ['gateway', 'inference'].includes(
              o.metadata.labels['app.kubernetes.io/component'],
            ),
        )
        .map(o => `${o.metadata.namespace}/${o.metadata.name}`);
      expect(metricServices.length).toBeGreaterThan(0);
      expect(scraped).toEqual(metricServices);
    }
  });

  it("gives each cell its isolation tier's overlay", () => {
    const expected = {
      'eu-west-shared-1': ['shared', 'ScheduleAnyway'],
      'meridian-dedicated': ['dedicated', 'DoNotSchedule'],
      'helios-vpc': ['customer-vpc', 'DoNotSchedule'],
    };
    for (const [cell, [tier, whenUnsatisfiable]] of Object.entries(expected)) {
      const objects = kustomize(`cells/${cell}`);
      expect(
        objects.every(
          o => o.metadata.labels['cellport.dev/isolation'] === tier,
        ),
      ).toBe(true);
      const gateway = objects.find(
        o =>
          o.kind === 'Deployment' &&
          o.metadata.labels['app.kubernetes.io/component'] === 'gateway',
      );
      expect(gateway.spec.template.spec.topologySpreadConstraints).toEqual([
        expect.objectContaining({
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable,
        }),
      ]);
      // Selectors stay as rendered: a label added to them would orphan running pods.
      expect(gateway.spec.selector.matchLabels).not.toHaveProperty(
        'cellport.dev/isolation',
      );
    }
  });

  it('packages the portal: every object renders with kustomize and validates', () => {
    const rendered = kubectl(['kustomize', path.join(deployDir, 'portal')]);
    const objects = parseAllDocuments(rendered).map(d => d.toJS());
    expect(objects.map(o => o.kind).sort()).toEqual(
      [
        'Deployment',
        'HorizontalPodAutoscaler',
        'Namespace',
        'NetworkPolicy',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    // The ServiceMonitor against the prometheus-operator CRD's schema, like the cells'.
    expect(validateManifests(objects)).toEqual([]);
    const pod = objects.find(o => o.kind === 'Deployment').spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it("lets Prometheus scrape the portal's metrics port", () => {
    const objects = kustomize('portal');
    const [monitor] = objects.filter(o => o.kind === 'ServiceMonitor');
    const service = objects.find(o => o.kind === 'Service');
    const container = objects.find(o => o.kind === 'Deployment').spec.template
      .spec.containers[0];
    expect(service.metadata.labels).toMatchObject(
      monitor.spec.selector.matchLabels,
    );
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([
      service.metadata.namespace,
    ]);
    const servicePort = service.spec.ports.find(
      (p: any) => p.name === monitor.spec.endpoints[0].port,
    );
    expect(servicePort.targetPort).toBe('metrics');
    // The port instrumentation.js serves, on every interface of the pod.
    expect(container.ports).toContainEqual({
      name: 'metrics',
      containerPort: 9464,
    });
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'CELLPORT_METRICS_PORT', value: '9464' },
        { name: 'CELLPORT_METRICS_HOST', value: '0.0.0.0' },
      ]),
    );
    const ingress = objects
      .filter(o => o.kind === 'NetworkPolicy')
      .flatMap(o => o.spec.ingress ?? []);
    expect(ingress).toContainEqual({
      from: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
          },
        },
      ],
      ports: [{ protocol: 'TCP', port: 9464 }],
    });
  });
});
