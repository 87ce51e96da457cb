export interface Config {
  /** Cellport's platform backend (plugins/platform-backend). */
  platform?: {
    /** How long runtime records are kept. */
    retention?: {
      /**
       * Days of raw routing decisions and usage events the portal takes and reads. Default 30.
       * Older events are refused at ingest; stored ones are purged a day later, so one sent
       * again at the edge still finds its id.
       */
      rawDays?: number;
      /**
       * Days minute rollups are kept. Default 7. Older ranges are read from hour rollups, so
       * their edges there fall on the next whole hour.
       */
      minuteRollupDays?: number;
      /**
       * Days hour rollups are kept. Default 400. Day rollups are kept for good; edges older
       * than this fall on the next whole day.
       */
      hourRollupDays?: number;
      /** Minutes between purges of expired records. Default 60. */
      purgeIntervalMinutes?: number;
    };

    /** Who may post events to `POST /api/platform/events`. */
    ingest?: {
      /**
       * The cells each gateway token may send events for, by the `subject` of its
       * `backend.auth.externalAccess` static token (e.g. `{ "gateway-eu-west-shared-1":
       * ["eu-west-shared-1"] }`; `"*"` for every cell). Set, a subject it does not list may
       * post nothing, and an event of a cell not listed for its subject is refused by index.
       * Unset, any external access token may post events for any cell.
       */
      cellsBySubject?: { [subject: string]: string[] };
    };

    /**
     * The production event transport: a durable NATS JetStream consumer feeding the ingest
     * path. Off by default, when gateways post batches to `POST /api/platform/events`.
     */
    nats?: {
      /** Consume events from NATS JetStream. Default false. */
      enabled?: boolean;
      /** NATS server URLs. Default nats://127.0.0.1:4222. */
      servers?: string | string[];
      /** JetStream stream the gateways publish into; created if missing. Default CELLPORT_EVENTS. */
      stream?: string;
      /** Subjects of the stream when it is created. Default ["cellport.events.>"]. */
      subjects?: string[];
      /** Durable consumer name shared by every portal replica. Default platform-backend. */
      durable?: string;
      /** Messages pulled at a time. Default 16. */
      batchSize?: number;
      /** Milliseconds before a message whose write failed is delivered again. Default 5000. */
      retryDelayMs?: number;
    };

    /** API keys the scaffolder creates for tenants and agents. */
    apiKeys?: {
      /**
       * Hours a new key can be revealed, once, by whoever ran the template; unrevealed keys
       * are then deleted with the other expired records. Default 24.
       */
      revealHours?: number;
      /**
       * Hours a rotated-out key keeps working next to its successor, so its callers can
       * switch over. Default 24.
       */
      rotationGraceHours?: number;
    };

    /** Cost engine settings. */
    cost?: {
      /**
       * US dollars per GPU-hour by GPU type (keys as in the InferenceDeployment kind, e.g.
       * "H100-80GB"). Types not listed use built-in list prices.
       */
      gpuHourlyUsd?: { [gpuType: string]: number };
      /**
       * Sampling of the GPUs InferenceDeployments hold, from the deploy driver's rollout
       * status on their clusters (only where `kubernetes.clusterLocatorMethods` names the
       * cluster). GPU cost integrates the samples; time without one counts at the catalog's
       * minimum replicas.
       */
      gpuSampling?: {
        /** Minutes between samples. Default 5. A sample stands for two intervals. */
        intervalMinutes?: number;
      };
    };

    /** The catalog → gateway reconciler. */
    reconciler?: {
      /** Run the reconciler on a schedule. Default true. */
      enabled?: boolean;
      /** Seconds between reconcile passes over every cell. Default 30. */
      intervalSeconds?: number;
      /**
       * Bearer token of the gateways' control API, used for every cell without its own.
       * @visibility secret
       */
      adminToken?: string;
      /**
       * Per-cell overrides, keyed by Cell name, of where its gateway's control API answers
       * (otherwise the Cell's spec.gateway.baseUrl) and its admin token.
       */
      gateways?: {
        [cell: string]: {
          /** Base URL of the gateway, e.g. http://localhost:7080. */
          baseUrl?: string;
          /**
           * Bearer token of this gateway's control API.
           * @visibility secret
           */
          adminToken?: string;
        };
      };
      /**
       * API key hashes provisioned outside the catalog, pushed to the gateways of their
       * tenants' cells: `{ tenant, agent?, sha256, prefix, expiresAt? }`. The embedded
       * default's start command puts its demo keys here; keys themselves never do.
       */
      apiKeys?: Array<{
        tenant: string;
        agent?: string;
        sha256: string;
        prefix: string;
        expiresAt?: string;
      }>;
      /** Seconds to wait after a failed push; doubles per failure. Default 5. */
      initialBackoffSeconds?: number;
      /** Longest wait between retries of a failing gateway, in seconds. Default 300. */
      maxBackoffSeconds?: number;
      /** Timeout of one control API request, in seconds. Default 10. */
      requestTimeoutSeconds?: number;
    };

    /** Alerts Alertmanager posts to `POST /api/platform/alerts/alertmanager`. */
    alerts?: {
      /**
       * The bearer token Alertmanager sends (its webhook's `http_config.authorization`, read
       * from a `credentials_file`). Without it the webhook accepts only Backstage service
       * tokens, e.g. a `backend.auth.externalAccess` static token.
       * @visibility secret
       */
      webhookToken?: string;
      /**
       * The group or user notified of an alert on a cell the catalog does not have (a typo in
       * a rule, a cell removed while Alertmanager still fires for it), which has no owner to
       * tell. Default group:default/platform-sre.
       */
      fallbackOwner?: string;
    };

    /**
     * The Prometheus the cells' runtime services report to. The SLO cards of services whose
     * SLIs live only there (every runtime service but the gateway and router) query its HTTP
     * API; without it they say "Prometheus not configured".
     */
    prometheus?: {
      /** Its base URL, e.g. http://prometheus.monitoring:9090 (queries go to /api/v1/query). */
      baseUrl?: string;
      /** Seconds one query may take before the cards say Prometheus is unreachable. Default 10. */
      timeoutSeconds?: number;
    };

    /** Routing replay (`POST /api/platform/replays`): jobs in the database, readable from every replica for an hour after they end. */
    replay?: {
      /** The most decisions one replay reads; beyond, its result says `truncated`. Default 5000000. */
      maxDecisions?: number;
      /** Replays running at once; more are answered 503. Default 2. */
      maxRunning?: number;
    };

    /** Recommendations (`GET /api/platform/recommendations`): replays bounded per request. */
    recommendations?: {
      /** The most days of decisions one request replays. Default 14. */
      maxDays?: number;
      /** The most replays one request runs (a baseline per agent, one per candidate). Default 40. */
      maxReplays?: number;
      /** The most decisions each of those replays reads; a longer one is scaled from what it read. Default 250000. */
      maxDecisionsPerReplay?: number;
    };
  };
}
