import { parseEntityRef } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { EntityRefLinks, useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';

/** The cells a tenant runs in and its agents, from the catalog's relations. */
export function TenantResourcesCard() {
  const { entity } = useEntity();
  const refsOf = (type: string, kind: string) =>
    (entity.relations ?? [])
      .filter(r => r.type === type && r.targetRef.startsWith(`${kind}:`))
      .map(r => parseEntityRef(r.targetRef));
  const rows: Array<[string, ReturnType<typeof refsOf>, string]> = [
    ['Cells', refsOf('hostedBy', 'cell'), 'no cell yet'],
    ['Agents', refsOf('hasPart', 'agent'), 'no agents registered yet'],
  ];
  return (
    <InfoCard title="Cells and agents">
      <Table size="small" aria-label="Cells and agents">
        <TableBody>
          {rows.map(([label, refs, none]) => (
            <TableRow key={label}>
              <TableCell component="th" scope="row" style={{ width: '35%' }}>
                {label}
              </TableCell>
              <TableCell>
                {refs.length ? <EntityRefLinks entityRefs={refs} /> : none}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
