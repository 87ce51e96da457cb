import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ISOLATION_KINDS,
  IsolationCatalog,
  isolationCatalogOf,
} from '@cellport/plugin-platform-common';

/** Reads the cells, tenants and inference deployments the isolation rules decide on. */
export async function loadIsolationCatalog(
  catalog: CatalogService,
  credentials: BackstageCredentials,
): Promise<IsolationCatalog> {
  const { items } = await catalog.getEntities(
    {
      filter: { kind: ISOLATION_KINDS },
      fields: ['kind', 'metadata.name', 'spec'],
    },
    { credentials },
  );
  return isolationCatalogOf(items);
}
