export interface Config {
  platform?: {
    /**
     * The development backend's demo (`@cellport/plugin-platform-backend-module-demo`): history
     * for a first start and live traffic. Production backends do not register the module.
     */
    demo?: {
      /**
       * Turn the demo on: `POST /api/platform/demo/backfill?days=N` generates N days of
       * history for the catalog's agents through the ingest path, marked as demo data.
       * Default false.
       */
      enabled?: boolean;
      /** Days to backfill at startup when there is no demo history yet; 0 for none. Default 0. */
      backfillDaysOnStart?: number;
      /**
       * Live demo traffic: OpenAI-style chat completions sent through the gateways with demo
       * keys, so dashboards move. Needs `enabled` above too.
       */
      traffic?: {
        /** Send live demo traffic while the backend runs. Default false. */
        enabled?: boolean;
        /** Requests per second over all targets. Default 3. */
        requestsPerSecond?: number;
        /** Who calls: each request picks a target, then one of its models, at random. */
        targets?: Array<{
          /** Base URL of a cell's gateway, e.g. http://localhost:7080. */
          gatewayUrl: string;
          /**
           * A demo tenant's API key (its hash is in platform.reconciler.apiKeys).
           * @visibility secret
           */
          apiKey: string;
          /** Model names this caller asks for. */
          models: string[];
        }>;
      };
    };
  };
}
