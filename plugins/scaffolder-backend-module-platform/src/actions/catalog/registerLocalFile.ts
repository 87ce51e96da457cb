import { AuthService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { registerAsModule } from './registerAsModule';
import { isInside, localRepositoriesDir } from '../../localRepositories';
import { examples } from './registerLocalFile.examples';

/**
 * `cellport:catalog:register-file` registers a catalog file of a local repository (see
 * `cellport:publish:local`) as a `file` location. Registering the same file again returns the
 * existing location, so a retried run registers nothing twice.
 *
 * It registers as this backend module, not as the user who ran the template: users outside
 * the admin groups may not register catalog locations themselves (any file they registered
 * could name any tenant), so what reaches the catalog is what a template's plan step allowed.
 */
export function createRegisterLocalFileAction(options: {
  config: Config;
  catalog: CatalogService;
  auth: AuthService;
}) {
  const baseDir = localRepositoriesDir(options.config);
  return createTemplateAction({
    id: 'cellport:catalog:register-file',
    description:
      'Registers a catalog-info.yaml of a local repository in the catalog as a file location.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoPath: z =>
          z.string().describe('Absolute path of the catalog file'),
      },
      output: {
        locationRef: z => z.string(),
        entityRefs: z => z.array(z.string()),
      },
    },
    async handler(ctx) {
      const target = ctx.input.catalogInfoPath;
      if (!isInside(baseDir, target)) {
        throw new InputError(
          `catalogInfoPath: ${target} is not inside the local repositories directory ${baseDir}`,
        );
      }
      const locationRef = `file:${target}`;
      ctx.output('locationRef', locationRef);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${locationRef}`);
        ctx.output('entityRefs', []);
        return;
      }
      const entityRefs = await registerAsModule(ctx, options, {
        type: 'file',
        target,
      });
      ctx.output('entityRefs', entityRefs);
    },
  });
}
