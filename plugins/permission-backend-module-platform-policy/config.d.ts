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
       * Everyone else may read the catalog and the platform, and a member of a group may run
       * the self-service templates for the tenants their groups own (the README's Production).
       */
      adminGroups?: string[];
    };
  };
}
