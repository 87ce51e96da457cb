import type { NetworkPolicyEgressRule } from 'kubernetes-types/networking/v1';

/** Lets pods resolve names through the cluster DNS, which every default-deny namespace needs. */
export const dnsEgressRule: NetworkPolicyEgressRule = {
  to: [
    {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
      },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};
