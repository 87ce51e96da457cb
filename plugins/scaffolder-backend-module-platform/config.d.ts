export interface Config {
  cellport?: {
    scaffolder?: {
      /**
       * Where `cellport:publish:local` keeps the git repositories it publishes to, relative
       * to the backend's working directory. The embedded default publishes here; production
       * publishes to GitHub or GitLab instead. Default `data/repositories`.
       */
      localRepositoriesDir?: string;
    };
  };
}
