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
import { parseAllDocuments } from 'yaml';
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

function load<T>(file: string, kind: PlatformKind): T[] {
  const text = fs.readFileSync(path.join(repo, 'examples', file), 'utf8');
  return parseAllDocuments(text).map(doc => {
    const result = validatePlatformEntity(kind, doc.toJS());
    if (!result.ok)
      throw new Error(`${file}: ${JSON.stringify(result.issues)}`);
    return result.entity as T;
  });
}

const tree = renderDeployTree({
  cells: load<CellEntity>('cells.yaml', 'Cell'),
  tenants: load<TenantEntity>('tenants.yaml', 'Tenant'),
  inferenceDeployments: load<InferenceDeploymentEntity>(
    'inference-deployments.yaml',
    'InferenceDeployment',
  ),
});

describe('deploy/', () => {
  if (process.env.CELLPORT_UPDATE_DEPLOY === 'true') {
    it('is rewritten from the renderer', () => {
      for (const dir of ['cells', 'inference']) {
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
    const onDisk = ['cells', 'inference'].flatMap(dir =>
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
      .map(f => path.dirname(f));
    expect(kustomizations.length).toBe(6);
    for (const dir of kustomizations) {
      const rendered = kubectl(['kustomize', path.join(deployDir, dir)]);
      const objects = parseAllDocuments(rendered).map(d => d.toJS());
      expect(objects.length).toBeGreaterThan(0);
      expect(
        objects.every(
          o => o.metadata.annotations['cellport.dev/rendered-from'],
        ),
      ).toBe(true);
      expect(validateManifests(objects)).toEqual([]);
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
      ].sort(),
    );
    expect(validateManifests(objects)).toEqual([]);
    const pod = objects.find(o => o.kind === 'Deployment').spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });
});
