export interface Config {
  platform?: {
    /**
     * The deploy driver (plugins/platform-deploy-backend), which applies Cells' and
     * InferenceDeployments' rendered manifests to their clusters. Clusters themselves are
     * configured where Backstage's Kubernetes plugin reads them,
     * `kubernetes.clusterLocatorMethods` (type `config`): a Cell's `spec.cluster` names an
     * entry, whose `url`, `serviceAccountToken` (authProvider `serviceAccount`), `caData` or
     * `caFile`, and `skipTLSVerify` the driver uses. A Cell whose cluster is not there still
     * gets a plan; applying to it is refused.
     */
    deploy?: {
      /** Timeout of one Kubernetes API request, in seconds. Default 30. */
      requestTimeoutSeconds?: number;
      /**
       * Container images the rendered workloads run, overriding the renderer's pinned ones
       * (e.g. a mirror in a customer VPC). Unset ones keep the pins.
       */
      images?: {
        /** The AI gateway image, e.g. registry.example.com/cellport/gateway:0.1.0. */
        gateway?: string;
        /** The vLLM OpenAI-compatible server image. */
        vllm?: string;
      };
    };
  };
}
