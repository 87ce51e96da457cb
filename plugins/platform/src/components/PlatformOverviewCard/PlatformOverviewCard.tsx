import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import { overviewRows } from './overviewRows';

/** The platform spec of a Tenant, Cell, Agent, ModelProfile or InferenceDeployment. */
export function PlatformOverviewCard() {
  const { entity } = useEntity();
  const rows = Object.entries(overviewRows(entity));
  return (
    <InfoCard title={`${entity.kind} configuration`}>
      <Table size="small" aria-label={`${entity.kind} configuration`}>
        <TableBody>
          {rows.map(([label, value]) => (
            <TableRow key={label}>
              <TableCell component="th" scope="row" style={{ width: '35%' }}>
                {label}
              </TableCell>
              <TableCell>{value}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
