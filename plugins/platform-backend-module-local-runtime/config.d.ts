export interface Config {
  platform?: {
    /** The embedded default's local gateways (development only). */
    localRuntime?: {
      /** Start one gateway process per Cell that names no gateway. Off by default. */
      enabled?: boolean;
      /** Where each cell's port is remembered (default data/local-runtime). */
      stateDir?: string;
      /** Where the gateways spool their events (default <stateDir>/spool). */
      spoolDir?: string;
      /** Every upstream call of the local gateways goes here (default the simulator, http://127.0.0.1:7070). */
      upstreamOrigin?: string;
      /** The portal's base URL for the gateways' events; events are off without it. */
      eventsUrl?: string;
      /**
       * The static token the gateways send their events with.
       * @visibility secret
       */
      eventsToken?: string;
      /** Fixed ports by cell name; other cells get the next free port from firstPort. */
      ports?: { [cell: string]: number };
      /** Default 7081. */
      firstPort?: number;
      /** Time a gateway has to answer /health after it starts (default 60). */
      startTimeoutSeconds?: number;
      /** How often the catalog's cells are compared with the running gateways (default 3). */
      syncIntervalSeconds?: number;
    };
  };
}
