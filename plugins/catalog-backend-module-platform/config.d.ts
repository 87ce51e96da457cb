export interface Config {
  cellport?: {
    catalog?: {
      /**
       * Let `file` locations be registered through the catalog API, as the embedded default's
       * templates do for the local git repositories they publish to. Anyone allowed to
       * register locations could then make the catalog read files on the backend's disk:
       * keep it off in production. Default false.
       */
      allowFileLocations?: boolean;
    };
  };
}
