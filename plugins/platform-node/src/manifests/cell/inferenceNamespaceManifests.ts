import type { Namespace } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { INFERENCE_NAMESPACE, platformLabels } from '../labels';
import { Manifest } from '../types';
import { VLLM_PORT } from '../inference/renderInferenceManifests';
import { dnsEgressRule } from './networkRules';

/**
 * The namespace a GPU cell's vLLM deployments run in, owned by the cell rather than by any one
 * deployment, so deploying or pruning one model never touches the others. Default-deny, with
 * the cell's gateway (and Prometheus) let in on vLLM's port. `baseline` pod security, not
 * `restricted`: vLLM's images run as root and need shared memory.
 */
export function inferenceNamespaceManifests(options: {
  cell: string;
  kubernetesId: string;
}): Manifest[] {
  const labels = platformLabels({
    ...options,
    component: 'inference-namespace',
  });
  const namespace: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: INFERENCE_NAMESPACE,
      labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'baseline' },
    },
  };
  const defaultDeny: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: INFERENCE_NAMESPACE, labels },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  const gatewayIn: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'vllm-traffic', namespace: INFERENCE_NAMESPACE, labels },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'cellport.dev/cell': options.cell },
              },
            },
            {
              namespaceSelector: {
                matchLabels: { 'cellport.dev/gateway-client': 'true' },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: VLLM_PORT }],
        },
      ],
      // DNS, and HTTPS to fetch model weights from the model hub.
      egress: [dnsEgressRule, { ports: [{ protocol: 'TCP', port: 443 }] }],
    },
  };
  return [namespace, defaultDeny, gatewayIn] as Manifest[];
}
