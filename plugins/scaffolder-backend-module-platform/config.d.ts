export interface Config {
  cellport?: {
    scaffolder?: {
      /**
       * Where `cellport:publish:local` keeps the git repositories it publishes to, relative
       * to the backend's working directory. The embedded default publishes here; production
       * publishes to GitHub or GitLab instead. Default `data/repositories`.
       */
      localRepositoriesDir?: string;
      /**
       * Local git repositories besides `localRepositoriesDir` that
       * `cellport:agent:propose-change` may propose changes to, as branches only (never
       * their working tree or checked-out branch), relative to the backend's working
       * directory. The embedded default lists the portal's own repository, whose `examples/`
       * holds the demo's agents. Default none.
       */
      proposalRepositories?: string[];
    };
  };
}
