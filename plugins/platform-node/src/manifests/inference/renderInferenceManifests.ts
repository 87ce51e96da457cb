import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Service } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import {
  GPU_TYPES,
  InferenceDeploymentEntity,
  KUBERNETES_ID_ANNOTATION,
} from '@cellport/plugin-platform-common';
import { INFERENCE_NAMESPACE, platformLabels } from '../labels';
import { DEFAULT_IMAGES, Manifest, ManifestImages } from '../types';
import { vllmArgs } from './vllmArgs';

export const VLLM_PORT = 8000;
/** Host memory per GPU for loading weights and vLLM's CPU-side buffers. */
const HOST_MEMORY_PER_GPU_GIB = 24;

/**
 * A self-hosted model served by vLLM: the Deployment (GPU limits, tolerations and a node
 * selector for the GPU pool, shared memory for NCCL, probes on vLLM's /health, metrics on its
 * port), its Service, an HPA on queue depth and a PodDisruptionBudget.
 *
 * Pass the deployment as a validated entity (defaults applied).
 */
export function renderInferenceManifests(options: {
  deployment: InferenceDeploymentEntity;
  cell: string;
  namespace?: string;
  images?: Partial<ManifestImages>;
}): Manifest[] {
  const { deployment, cell } = options;
  const spec = deployment.spec;
  const namespace = options.namespace ?? INFERENCE_NAMESPACE;
  const image = { ...DEFAULT_IMAGES, ...options.images }.vllm;
  const name = deployment.metadata.name;
  const kubernetesId =
    deployment.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ?? name;
  const labels = platformLabels({ cell, kubernetesId, component: 'inference' });
  const selector = {
    'app.kubernetes.io/name': name,
    'cellport.dev/cell': cell,
  };
  const gpu = GPU_TYPES[spec.gpu.type];
  const hostMemory = `${HOST_MEMORY_PER_GPU_GIB * spec.gpu.count}Gi`;

  const workload: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...labels, ...selector } },
    spec: {
      // No `replicas`: the HPA owns the count (from spec.replicas.min); a value here would be
      // re-applied over the HPA's and conflict with it under server-side apply.
      selector: { matchLabels: selector },
      // A new replica needs GPUs of its own; never run more than one extra while rolling.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
      },
      template: {
        metadata: {
          labels: { ...labels, ...selector },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(VLLM_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          nodeSelector: { 'nvidia.com/gpu.product': gpu.product },
          tolerations: [
            { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
          ],
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 120,
          containers: [
            {
              name: 'vllm',
              image,
              args: vllmArgs(spec, VLLM_PORT),
              ports: [{ name: 'http', containerPort: VLLM_PORT }],
              env: [
                { name: 'HF_HOME', value: '/models' },
                {
                  name: 'HF_TOKEN',
                  valueFrom: {
                    secretKeyRef: {
                      name: 'huggingface',
                      key: 'token',
                      optional: true,
                    },
                  },
                },
              ],
              resources: {
                requests: {
                  cpu: String(4 * spec.gpu.count),
                  memory: hostMemory,
                  'nvidia.com/gpu': String(spec.gpu.count),
                },
                limits: {
                  memory: hostMemory,
                  'nvidia.com/gpu': String(spec.gpu.count),
                },
              },
              // Downloading and loading weights takes minutes; liveness waits for startup.
              startupProbe: {
                httpGet: { path: '/health', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 90,
              },
              readinessProbe: {
                httpGet: { path: '/health', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: '/health', port: 'http' },
                periodSeconds: 20,
                failureThreshold: 3,
              },
              volumeMounts: [
                { name: 'shm', mountPath: '/dev/shm' },
                { name: 'models', mountPath: '/models' },
              ],
            },
          ],
          volumes: [
            // NCCL moves tensors between GPUs through shared memory.
            { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
            { name: 'models', emptyDir: { sizeLimit: '500Gi' } },
          ],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: {
      selector,
      ports: [
        { name: 'http', port: VLLM_PORT, targetPort: 'http', protocol: 'TCP' },
      ],
    },
  };
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: spec.replicas.min,
      maxReplicas: spec.replicas.max,
      metrics: [
        {
          // vLLM's vllm:num_requests_waiting, renamed for the custom metrics API by
          // prometheus-adapter.
          type: 'Pods',
          pods: {
            metric: { name: 'vllm_num_requests_waiting' },
            target: {
              type: 'AverageValue',
              averageValue: String(spec.replicas.targetQueueDepth),
            },
          },
        },
      ],
      behavior: {
        // GPU replicas are slow to start and expensive to flap.
        scaleDown: { stabilizationWindowSeconds: 600 },
      },
    },
  };
  const pdb: PodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
  return [workload, service, hpa, pdb] as Manifest[];
}
