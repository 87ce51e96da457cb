/** A rendered Kubernetes object: apiVersion, kind and a named metadata are always set. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Container images the renderer puts in workloads; pinned in one place. */
export interface ManifestImages {
  gateway: string;
  vllm: string;
}

export const DEFAULT_IMAGES: ManifestImages = {
  gateway: 'ghcr.io/cellport/gateway:0.1.0',
  vllm: 'vllm/vllm-openai:v0.10.1',
};
