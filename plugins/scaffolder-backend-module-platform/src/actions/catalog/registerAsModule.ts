import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ActionContext } from '@backstage/plugin-scaffolder-node';

/**
 * Registers a location as this backend module, not as the user who ran the template (users
 * outside the admin groups may not register locations), once per run: a retried step reuses
 * its first answer, and a location registered earlier is kept (the catalog rereads it on its
 * own). Returns the refs of the entities it brought in.
 */
export async function registerAsModule(
  ctx: ActionContext<any, any>,
  deps: { catalog: CatalogService; auth: AuthService },
  location: { type: 'file' | 'url'; target: string },
): Promise<string[]> {
  const credentials = await deps.auth.getOwnServiceCredentials();
  return ctx.checkpoint({
    key: `register-${location.type}-${location.target}`,
    fn: async () => {
      try {
        const result = await deps.catalog.addLocation(location, {
          credentials,
        });
        return result.entities.map(e => stringifyEntityRef(e));
      } catch (error) {
        if (isError(error) && error.name === 'ConflictError') {
          ctx.logger.info(
            `${location.type}:${location.target} is already registered`,
          );
          return [];
        }
        throw error;
      }
    },
  });
}
