import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { cellSloTenant, entityRefName } from '@cellport/plugin-platform-common';
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
 * Who owns what happens in a cell: the tenant's owner when a tenant is named (a tenant's
 * budget, an alert labelled with one) or the cell is a single-tenant one (its one tenant owns
 * the whole cell, whatever the alert's labels), else the cell's owner.
 */
export function ownerOf(
  subject: { cell?: string; tenant?: string },
  entities: PlatformEntities,
): string | undefined {
  const cell = subject.cell ? findCell(subject.cell, entities) : undefined;
  const tenantName = subject.tenant ?? (cell && cellSloTenant(cell));
  const tenant = tenantName
    ? entities.tenants.find(t => t.metadata.name === tenantName)
    : undefined;
  if (tenant) return ownerRef(tenant.spec.owner);
  return cell ? ownerRef(cell.spec.owner) : undefined;
}
