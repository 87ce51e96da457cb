import {
  alertmanagerWebhookUrl,
  CellEntity,
  cellServiceSlos,
  cellSloTenant,
  Isolation,
  InferenceDeploymentEntity,
  TenantEntity,
  toOpenSloYaml,
} from '@cellport/plugin-platform-common';
import { stringify } from 'yaml';
import { gatewayAdapterRules } from '../manifests/cell/gatewayAdapterRules';
import { renderCellManifests } from '../manifests/cell/renderCellManifests';
import { renderInferenceManifests } from '../manifests/inference/renderInferenceManifests';
import { renderAlertmanagerConfigYaml } from '../manifests/monitoring/renderAlertmanagerConfig';
import { renderServiceMonitors } from '../manifests/monitoring/renderServiceMonitors';
import {
  renderSloPrometheusRule,
  renderSloRuleFile,
} from '../manifests/monitoring/renderSloRules';
import { manifestsToYaml } from '../manifests/toYaml';
import { Manifest } from '../manifests/types';

const HEADER =
  '# Rendered by @cellport/plugin-platform-node from the catalog; do not edit by hand.\n';

const entityName = (ref: string) => ref.replace(/^[a-z]+:(default\/)?/i, '');

/**
 * One kustomize directory: the renderer's workloads, their ServiceMonitors (apart, so a cluster
 * without prometheus-operator can leave them out), the components it takes on, and the
 * `target.yaml` Argo CD's ApplicationSet reads to know which cluster the directory deploys to.
 */
function kustomizeDir(
  dir: string,
  source: string,
  cluster: string,
  manifests: Manifest[],
  components: string[] = [],
  rules: Manifest[] = [],
) {
  return {
    [`${dir}/target.yaml`]:
      HEADER + stringify({ name: dir.replace('/', '-'), source, cluster }),
    [`${dir}/manifests.yaml`]: HEADER + manifestsToYaml(manifests),
    [`${dir}/monitoring.yaml`]:
      HEADER + manifestsToYaml([...renderServiceMonitors(manifests), ...rules]),
    [`${dir}/kustomization.yaml`]:
      HEADER +
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        commonAnnotations: { 'cellport.dev/rendered-from': source },
        resources: ['manifests.yaml', 'monitoring.yaml'],
        ...(components.length ? { components } : {}),
      }),
  };
}

const ZONE_SPREAD = {
  maxSkew: 1,
  topologyKey: 'topology.kubernetes.io/zone',
  labelSelector: {
    matchLabels: { 'app.kubernetes.io/component': 'gateway' },
  },
};

/**
 * The overlay of each isolation tier, a kustomize Component every cell of the tier takes on:
 * what operators tune per tier across the fleet. Each labels its objects with the tier, and
 * spreads the gateway over zones: a shared cell's gateway as best effort, since it scales
 * wide; a single-tenant cell's (premium and enterprise, 99.95%) strictly, so one zone's
 * outage cannot take every replica.
 */
function tierComponents(): Record<string, string> {
  const tiers: Record<Isolation, 'ScheduleAnyway' | 'DoNotSchedule'> = {
    shared: 'ScheduleAnyway',
    dedicated: 'DoNotSchedule',
    'customer-vpc': 'DoNotSchedule',
  };
  return Object.fromEntries(
    Object.entries(tiers).map(([tier, whenUnsatisfiable]) => [
      `cells/tiers/${tier}/kustomization.yaml`,
      HEADER +
        stringify({
          apiVersion: 'kustomize.config.k8s.io/v1alpha1',
          kind: 'Component',
          labels: [
            {
              pairs: { 'cellport.dev/isolation': tier },
              includeSelectors: false,
            },
          ],
          patches: [
            {
              target: {
                kind: 'Deployment',
                labelSelector: 'app.kubernetes.io/component=gateway',
              },
              patch: stringify([
                {
                  op: 'add',
                  path: '/spec/template/spec/topologySpreadConstraints',
                  value: [{ ...ZONE_SPREAD, whenUnsatisfiable }],
                },
              ]),
            },
          ],
        }),
    ]),
  );
}

/** Where the portal answers: alerts link its pages, Alertmanager posts to its backend. */
export interface PortalUrls {
  /** app-config's `app.baseUrl`. */
  portalBaseUrl: string;
  /** app-config's `backend.baseUrl`. */
  backendBaseUrl: string;
}

/**
 * The GitOps tree under deploy/ for a set of catalog entities: one kustomize directory per
 * cell (`cells/<name>`) and per inference deployment (`inference/<name>`), each holding the
 * renderer's output and a `target.yaml` naming its cluster, and Alertmanager's configuration
 * for the cells' SLO alerts (`alertmanager/alertmanager.yaml`). Argo CD's ApplicationSet
 * (deploy/argocd) deploys every kustomize directory. Keys are paths relative to deploy/,
 * values the file contents.
 */
/** Where Alertmanager's pod mounts the Secret holding the portal's alert webhook token. */
export const ALERT_WEBHOOK_TOKEN_FILE =
  '/etc/alertmanager/secrets/cellport-alert-webhook/token';

export function renderDeployTree(
  entities: {
    cells: CellEntity[];
    tenants: TenantEntity[];
    inferenceDeployments: InferenceDeploymentEntity[];
  },
  urls: PortalUrls,
): Record<string, string> {
  const files: Record<string, string> = tierComponents();
  files['alertmanager/alertmanager.yaml'] =
    HEADER +
    renderAlertmanagerConfigYaml({
      webhookUrl: alertmanagerWebhookUrl(urls.backendBaseUrl),
      // The portal refuses unauthenticated posts: the token (the portal's
      // platform.alerts.webhookToken) is mounted from a Secret, never written here.
      webhookCredentialsFile: ALERT_WEBHOOK_TOKEN_FILE,
    });
  for (const cell of entities.cells) {
    const dir = `cells/${cell.metadata.name}`;
    const rules = { cell, portalBaseUrl: urls.portalBaseUrl };
    Object.assign(
      files,
      kustomizeDir(
        dir,
        `cell:default/${cell.metadata.name}`,
        cell.spec.cluster,
        renderCellManifests({ cell, tenants: entities.tenants }),
        [`../tiers/${cell.spec.tier}`],
        [renderSloPrometheusRule(rules)],
      ),
    );
    // The same rules for a Prometheus without prometheus-operator (its `rule_files`), and the
    // SLOs they come from as OpenSLO for other SLO tools; neither is a Kubernetes object.
    files[`${dir}/prometheus-rules.yaml`] = HEADER + renderSloRuleFile(rules);
    files[`${dir}/openslo.yaml`] =
      HEADER +
      toOpenSloYaml(cellServiceSlos(cell), {
        name: cell.metadata.name,
        tenant: cellSloTenant(cell),
      });
    // Not a Kubernetes object, so not among the kustomization's resources: the rule to merge
    // into the cluster's prometheus-adapter config (Helm value `rules.custom`) so that the
    // gateway's HPA gets its in-flight metric.
    files[`cells/${cell.metadata.name}/prometheus-adapter.yaml`] =
      HEADER + stringify(gatewayAdapterRules());
  }
  for (const deployment of entities.inferenceDeployments) {
    const cellName = entityName(deployment.spec.cell);
    const cell = entities.cells.find(c => c.metadata.name === cellName);
    if (!cell) {
      throw new Error(
        `InferenceDeployment "${deployment.metadata.name}": spec.cell: no cell "${cellName}" among the cells given`,
      );
    }
    Object.assign(
      files,
      kustomizeDir(
        `inference/${deployment.metadata.name}`,
        `inferencedeployment:default/${deployment.metadata.name}`,
        cell.spec.cluster,
        renderInferenceManifests({ deployment, cell: cellName }),
      ),
    );
  }
  return files;
}
