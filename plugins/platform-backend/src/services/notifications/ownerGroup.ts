import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  cellSloTenant,
  entityRefName,
  hostedTenants,
} from '@cellport/plugin-platform-common';
import { PlatformEntities } from '@cellport/plugin-platform-node';

/** `group:default/name` from an owner as the kinds write it (`group:name`, or a bare name). */
export function ownerRef(owner: string): string {
  return stringifyEntityRef(
    parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    }),
  );
}

/** The catalog's cell of that name (or entity ref), if the catalog has one. */
export function findCell(name: string, entities: PlatformEntities) {
  return entities.cells.find(c => c.metadata.name === entityRefName(name));
}

/**
 * Who owns what happens in a cell: the tenant's owner when a tenant the cell hosts is named
 * (an alert labelled with one) or the cell is a single-tenant one (its one tenant owns the
 * whole cell, whatever the alert's labels), else the cell's owner.
 */
export function ownerOf(
  subject: { cell?: string; tenant?: string },
  entities: PlatformEntities,
): string | undefined {
  const cell = subject.cell ? findCell(subject.cell, entities) : undefined;
  if (!cell) return undefined;
  // A label is the rule's word, not the catalog's: a tenant the cell does not host is a
  // mislabelled rule, and its owners must not hear of a cell that is not theirs.
  const labelled =
    subject.tenant &&
    hostedTenants(cell, entities.tenants).includes(subject.tenant)
      ? subject.tenant
      : undefined;
  const tenantName = labelled ?? cellSloTenant(cell);
  const tenant = tenantName
    ? entities.tenants.find(t => t.metadata.name === tenantName)
    : undefined;
  return ownerRef(tenant ? tenant.spec.owner : cell.spec.owner);
}
