import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type {
  Namespace,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import {
  GATEWAY_METRICS_PORT,
  GATEWAY_NAME,
  GATEWAY_PORT,
  MONITORING_NAMESPACE,
  platformLabels,
  restrictedSecurityContext,
} from '../labels';
import { Manifest } from '../types';
import { GATEWAY_IN_FLIGHT_METRIC } from './gatewayAdapterRules';
import { dnsEgressRule } from './networkRules';

/** Secret holding the gateway's admin token, Redis and NATS URLs and events token. */
export const GATEWAY_SECRET = 'cellport-gateway';

/**
 * Secret whose every key becomes a variable of the gateway's: the upstream credentials its model
 * profiles name (`credentialEnv`: OPENAI_API_KEY, AZURE_OPENAI_API_KEY, ANTHROPIC_API_KEY...).
 * Optional: a cell served by in-cluster models alone needs none, and a gateway that lacks a
 * variable a profile names says so in its log and passes that profile over.
 */
export const GATEWAY_UPSTREAM_SECRET = 'cellport-gateway-upstream-credentials';

/**
 * The event spool's emptyDir, and the spool's byte cap in it: a pod whose emptyDir passes its
 * size limit is evicted, and the emptyDir deleted with every event still in it. The cap
 * (segments set aside included) leaves a quarter of the volume for the open segment, a batch
 * being written and the lock.
 */
const SPOOL_VOLUME_MIB = 1024;
const SPOOL_MAX_BYTES = ((SPOOL_VOLUME_MIB * 3) / 4) * 2 ** 20;

/**
 * How long a stopping gateway serves on, not ready, before it closes its port: endpoints are
 * updated some seconds after a pod is told to stop, and requests the Service sends it meanwhile
 * must be answered, not refused (what a preStop sleep does, without a shell in the image).
 */
const SHUTDOWN_DELAY_MS = 5_000;

/**
 * A cell's own gateway: the runtime namespace, the Deployment (non-root, read-only root
 * filesystem, probes on /health and /ready), its Service, an HPA on CPU and in-flight requests
 * starting from seed 002's sizing (AI Gateway: 4–8 pods of 1–2 vCPU / 2–4 GB), a
 * PodDisruptionBudget and network policies that let in only the cell's tenants and let out
 * DNS, Redis, NATS and HTTPS to model providers.
 */
export function gatewayManifests(options: {
  cell: string;
  kubernetesId: string;
  namespace: string;
  image: string;
  minReplicas: number;
  maxReplicas: number;
}): Manifest[] {
  const { cell, kubernetesId, namespace, image } = options;
  const labels = platformLabels({ cell, kubernetesId, component: 'gateway' });
  const selector = {
    'app.kubernetes.io/name': GATEWAY_NAME,
    'cellport.dev/cell': cell,
  };
  const podLabels = { ...labels, ...selector };
  const secretEnv = (name: string, key: string, optional = false) => ({
    name,
    valueFrom: { secretKeyRef: { name: GATEWAY_SECRET, key, optional } },
  });

  const ns: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted' },
    },
  };
  const serviceAccount: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: GATEWAY_NAME, namespace, labels },
    automountServiceAccountToken: false,
  };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_NAME, namespace, labels: podLabels },
    spec: {
      // No `replicas`: the HPA below owns the count, starting from minReplicas.
      selector: { matchLabels: selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
      },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(GATEWAY_METRICS_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: GATEWAY_NAME,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            fsGroup: 10001,
          },
          // The Service lets go (SHUTDOWN_DELAY_MS), in-flight streams finish (the gateway's
          // 30 s drain), then its events are sealed: all within this.
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ],
          containers: [
            {
              name: 'gateway',
              image,
              ports: [
                { name: 'http', containerPort: GATEWAY_PORT },
                { name: 'metrics', containerPort: GATEWAY_METRICS_PORT },
              ],
              env: [
                { name: 'GATEWAY_PORT', value: String(GATEWAY_PORT) },
                {
                  name: 'GATEWAY_METRICS_PORT',
                  value: String(GATEWAY_METRICS_PORT),
                },
                {
                  name: 'GATEWAY_ID',
                  valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
                },
                { name: 'GATEWAY_EVENTS', value: 'nats' },
                {
                  name: 'GATEWAY_SHUTDOWN_DELAY_MS',
                  value: String(SHUTDOWN_DELAY_MS),
                },
                { name: 'GATEWAY_SPOOL_DIR', value: '/var/spool/cellport' },
                {
                  name: 'GATEWAY_SPOOL_MAX_BYTES',
                  value: String(SPOOL_MAX_BYTES),
                },
                secretEnv('GATEWAY_ADMIN_TOKEN', 'admin-token'),
                secretEnv('GATEWAY_REDIS_URL', 'redis-url'),
                secretEnv('GATEWAY_NATS_URL', 'nats-url'),
              ],
              envFrom: [
                {
                  secretRef: { name: GATEWAY_UPSTREAM_SECRET, optional: true },
                },
              ],
              resources: {
                requests: { cpu: '1', memory: '2Gi' },
                limits: { cpu: '2', memory: '4Gi' },
              },
              readinessProbe: {
                httpGet: { path: '/ready', port: 'http' },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: '/health', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 6,
              },
              securityContext: restrictedSecurityContext,
              volumeMounts: [
                { name: 'spool', mountPath: '/var/spool/cellport' },
              ],
            },
          ],
          volumes: [
            { name: 'spool', emptyDir: { sizeLimit: `${SPOOL_VOLUME_MIB}Mi` } },
          ],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: GATEWAY_NAME, namespace, labels },
    spec: {
      selector,
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        {
          name: 'metrics',
          port: GATEWAY_METRICS_PORT,
          targetPort: 'metrics',
          protocol: 'TCP',
        },
      ],
    },
  };
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: GATEWAY_NAME, namespace, labels },
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: GATEWAY_NAME,
      },
      minReplicas: options.minReplicas,
      maxReplicas: options.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: 70 },
          },
        },
        {
          // Exposed by the gateway, served to the HPA by prometheus-adapter with the rule of
          // gatewayAdapterRules.
          type: 'Pods',
          pods: {
            metric: { name: GATEWAY_IN_FLIGHT_METRIC },
            target: { type: 'AverageValue', averageValue: '64' },
          },
        },
      ],
    },
  };
  const pdb: PodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: GATEWAY_NAME, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
  const defaultDeny: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace, labels },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  const gatewayTraffic: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'gateway-traffic', namespace, labels },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          // The cell's tenants, and the portal's reconciler (labelled by deploy/).
          from: [
            {
              namespaceSelector: { matchLabels: { 'cellport.dev/cell': cell } },
            },
            {
              namespaceSelector: {
                matchLabels: { 'cellport.dev/gateway-client': 'true' },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: GATEWAY_PORT }],
        },
        {
          // Prometheus, to the metrics port alone: tenants reach the API's port only.
          from: [
            {
              namespaceSelector: {
                matchLabels: {
                  'kubernetes.io/metadata.name': MONITORING_NAMESPACE,
                },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: GATEWAY_METRICS_PORT }],
        },
      ],
      egress: [
        dnsEgressRule,
        // Redis, NATS, in-cluster vLLM and hosted model APIs.
        {
          ports: [
            { protocol: 'TCP', port: 6379 },
            { protocol: 'TCP', port: 4222 },
            { protocol: 'TCP', port: 8000 },
            { protocol: 'TCP', port: 443 },
          ],
        },
      ],
    },
  };
  return [
    ns,
    serviceAccount,
    deployment,
    service,
    hpa,
    pdb,
    defaultDeny,
    gatewayTraffic,
  ] as Manifest[];
}
