import { AuthService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { registerAsModule } from './registerAsModule';
import { examples } from './registerRepositoryUrl.examples';

/**
 * `cellport:catalog:register-url` registers the catalog file of a repository a publish step
 * just created on GitHub or GitLab, as a `url` location, the way Backstage's `catalog:register`
 * does, but as this backend module rather than as the user who ran the template: users outside
 * the admin groups may not register catalog locations themselves, so what reaches the catalog
 * is what a template's plan step allowed. Only hosts with a configured integration are taken.
 * Registering the same URL again returns the existing location.
 */
export function createRegisterRepositoryUrlAction(options: {
  config: Config;
  catalog: CatalogService;
  auth: AuthService;
}) {
  const integrations = ScmIntegrations.fromConfig(options.config);
  return createTemplateAction({
    id: 'cellport:catalog:register-url',
    description:
      "Registers the catalog file of a published repository in the catalog, as the platform's scaffolder module.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoContentsUrl: z =>
          z.string().describe("The publish step's repoContentsUrl output"),
        catalogInfoPath: z =>
          z
            .string()
            .default('/catalog-info.yaml')
            .describe('Path of the catalog file in the repository'),
      },
      output: {
        catalogInfoUrl: z => z.string(),
        entityRefs: z => z.array(z.string()),
      },
    },
    async handler(ctx) {
      const { repoContentsUrl, catalogInfoPath } = ctx.input;
      let host: string;
      try {
        host = new URL(repoContentsUrl).host;
      } catch {
        throw new InputError(
          `repoContentsUrl: "${repoContentsUrl}" is not a URL`,
        );
      }
      const integration = integrations.byHost(host);
      if (!integration) {
        throw new InputError(
          `repoContentsUrl: no integration is configured for ${host}, so the catalog could not read it`,
        );
      }
      const target = integrations.resolveUrl({
        base: repoContentsUrl,
        url: catalogInfoPath,
      });
      ctx.output('catalogInfoUrl', target);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${target}`);
        ctx.output('entityRefs', []);
        return;
      }
      const entityRefs = await registerAsModule(ctx, options, {
        type: 'url',
        target,
      });
      ctx.output('entityRefs', entityRefs);
    },
  });
}
