import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { forgeSource } from './forgeSource';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: {
      github: [
        {
          host: 'ghe.example.com',
          apiBaseUrl: 'https://ghe.example.com/api/v3',
          token: 'ghe-token',
        },
        // An Enterprise host without its API's address.
        { host: 'ghe-noapi.example.com', token: 'other-token' },
      ],
      gitlab: [
        {
          host: 'git.example.com',
          baseUrl: 'https://git.example.com/gitlab',
          apiBaseUrl: 'https://git.example.com/gitlab/api/v4',
          token: 'gl-token',
        },
      ],
    },
  }),
);

describe('forgeSource', () => {
  it('reads the repository, branch and file of a GitHub location, and keeps the token out of every field but git’s header', async () => {
    const source = await forgeSource(
      'https://ghe.example.com/acme/agents/tree/main/agents/route%20scout.yaml',
      integrations,
    );
    expect(source).toMatchObject({
      forge: 'github',
      webUrl: 'https://ghe.example.com/acme/agents',
      cloneUrl: 'https://ghe.example.com/acme/agents.git',
      baseBranch: 'main',
      file: 'agents/route scout.yaml',
    });
    const { gitEnv, ...rest } = source!;
    expect(JSON.stringify(rest)).not.toContain('ghe-token');
    expect(gitEnv.GIT_CONFIG_VALUE_0).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:ghe-token').toString(
        'base64',
      )}`,
    );
  });

  it('finds a GitLab project below the path GitLab is served under', async () => {
    expect(
      await forgeSource(
        'https://git.example.com/gitlab/platform/agents/-/blob/release/catalog-info.yaml',
        integrations,
      ),
    ).toMatchObject({
      forge: 'gitlab',
      webUrl: 'https://git.example.com/gitlab/platform/agents',
      cloneUrl: 'https://git.example.com/gitlab/platform/agents.git',
      baseBranch: 'release',
      file: 'catalog-info.yaml',
    });
  });

  it('says what it cannot use, naming the setting, and leaves other hosts to the caller', async () => {
    await expect(
      forgeSource(
        'https://ghe-noapi.example.com/acme/agents/blob/main/catalog-info.yaml',
        integrations,
      ),
    ).rejects.toThrow(
      'agent: the GitHub integration for ghe-noapi.example.com has no apiBaseUrl (integrations.github)',
    );
    await expect(
      forgeSource(
        'https://ghe.example.com/acme/agents/blob/main/%E0%A4%A.yaml',
        integrations,
      ),
    ).rejects.toThrow('does not name a repository, a branch and a file');
    await expect(
      forgeSource('https://ghe.example.com/acme/agents', integrations),
    ).rejects.toThrow('does not name a repository, a branch and a file');
    expect(
      await forgeSource(
        'https://bitbucket.example.com/acme/agents/src/main/catalog-info.yaml',
        integrations,
      ),
    ).toBeUndefined();
  });
});
