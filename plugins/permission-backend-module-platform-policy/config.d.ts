export interface Config {
  cellport?: {
    permissions?: {
      /**
       * Allow every request. For local development and the embedded default only; production
       * leaves it unset.
       */
      allowAll?: boolean;
      /**
       * Entity refs of groups whose members may do anything (e.g. `group:default/platform-sre`).
       * Everyone else may read, and may not change, the catalog and the platform.
       */
      adminGroups?: string[];
    };
  };
}
