import {
  ISOLATION_KINDS,
  IsolationCatalog,
  isolationCatalogOf,
} from '@cellport/plugin-platform-common';
import type { EntityLookup } from './PlatformEntitiesProcessor';

/** Reads the cells, tenants and deployments once per entity, and only when a model needs it. */
export class LazyIsolationCatalog {
  private catalog?: Promise<IsolationCatalog>;

  constructor(private readonly lookup: EntityLookup) {}

  get(): Promise<IsolationCatalog> {
    this.catalog ??= this.lookup
      .getEntitiesOfKinds(ISOLATION_KINDS)
      .then(isolationCatalogOf);
    return this.catalog;
  }
}
