import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { entityRefName } from '@cellport/plugin-platform-common';
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

/**
 * Who owns what happens in a cell: the tenant's owner when a tenant is named (a
 * single-tenant cell's alerts, a tenant's budget), else the cell's owner.
 */
export function ownerOf(
  subject: { cell?: string; tenant?: string },
  entities: PlatformEntities,
): string | undefined {
  const tenant = subject.tenant
    ? entities.tenants.find(t => t.metadata.name === subject.tenant)
    : undefined;
  if (tenant) return ownerRef(tenant.spec.owner);
  const cell = subject.cell
    ? entities.cells.find(c => c.metadata.name === entityRefName(subject.cell!))
    : undefined;
  return cell ? ownerRef(cell.spec.owner) : undefined;
}
