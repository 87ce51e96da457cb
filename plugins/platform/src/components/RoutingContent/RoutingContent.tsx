import Box from '@material-ui/core/Box';
import { useEntity } from '@backstage/plugin-catalog-react';
import { PlatformScope } from '../../api';
import { DecisionsTable } from '../DecisionsTable';
import { PageToolbar } from '../PageToolbar';
import { ReplayPanel } from '../ReplayPanel';

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

/**
 * The "Routing" tab: the routing decisions explorer, scoped to this entity, and on a cell's or
 * an agent's page the "What if…" replay of the same range under a proposed change.
 */
export function RoutingContent() {
  const { entity } = useEntity();
  const scope = scopeOf(entity.kind, entity.metadata.name);
  return (
    <>
      <PageToolbar note="Click a decision to see every candidate and why it was kept or dropped." />
      <DecisionsTable scope={scope} />
      {(scope.cell || scope.agent) && (
        <Box mt={3}>
          <ReplayPanel
            scope={scope.cell ? { cell: scope.cell } : { agent: scope.agent! }}
          />
        </Box>
      )}
    </>
  );
}
