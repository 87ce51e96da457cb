import { useEntity } from '@backstage/plugin-catalog-react';
import { PlatformScope } from '../../api';
import { DecisionsTable } from '../DecisionsTable';
import { PageToolbar } from '../PageToolbar';

/** The scope of the routing explorer on a Cell, Tenant or Agent page. */
export function scopeOf(kind: string, name: string): PlatformScope {
  switch (kind.toLocaleLowerCase('en-US')) {
    case 'cell':
      return { cell: name };
    case 'tenant':
      return { tenant: name };
    default:
      return { agent: name };
  }
}

/** The "Routing" tab: the routing decisions explorer, scoped to this entity. */
export function RoutingContent() {
  const { entity } = useEntity();
  return (
    <>
      <PageToolbar note="Click a decision to see every candidate and why it was kept or dropped." />
      <DecisionsTable scope={scopeOf(entity.kind, entity.metadata.name)} />
    </>
  );
}
