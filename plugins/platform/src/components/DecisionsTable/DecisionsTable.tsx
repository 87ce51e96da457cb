import { Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  DecisionListItem,
  DecisionPage,
  platformApiRef,
  PlatformScope,
} from '../../api';
import { DecisionDrawer } from '../DecisionDrawer';
import { formatMs, formatShortTime, shortVersion } from '../format';
import { useTimeRange } from '../TimeRangePicker';
import { DecisionFilterBar } from './DecisionFilterBar';
import { useDecisionFilters } from './useDecisionFilters';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

const PAGE_SIZE = 50;

/** Times, names and figures stay on one line; the table scrolls sideways instead. */
const ONE_LINE = { whiteSpace: 'nowrap' } as const;

const decisionColumns: TableColumn<DecisionListItem>[] = [
  {
    title: 'Time (UTC)',
    field: 'timestamp',
    render: d => formatShortTime(d.timestamp),
  },
  { title: 'Tenant', field: 'tenant' },
  { title: 'Agent', field: 'agent', emptyValue: '—' },
  { title: 'Asked for', field: 'requestedModel' },
  { title: 'Chosen', field: 'chosen', emptyValue: 'none' },
  { title: 'Policy', field: 'policy' },
  {
    title: 'Outcome',
    field: 'outcome',
    render: d => (d.errorClass ? `${d.outcome} (${d.errorClass})` : d.outcome),
  },
  {
    title: 'Fell back',
    field: 'fellBack',
    render: d => (d.fellBack ? 'yes' : 'no'),
  },
  {
    title: 'Dropped for',
    field: 'dropReasons',
    render: d => d.dropReasons.join(', ') || '—',
  },
  {
    title: 'Router',
    field: 'routerDecisionMs',
    type: 'numeric',
    render: d => formatMs(d.routerDecisionMs),
  },
  {
    title: 'State version',
    field: 'stateVersion',
    render: d => shortVersion(d.stateVersion),
  },
];

const columns = decisionColumns.map(column =>
  column.field === 'dropReasons' ? column : { ...column, cellStyle: ONE_LINE },
);

/**
 * Routing decisions of a cell, tenant or agent in the page's time range, newest first, with the
 * explorer's filters. A row opens the decision in a drawer; its id goes into the URL.
 */
export function DecisionsTable({ scope }: { scope: PlatformScope }) {
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const { filters, openDecision, setOpenDecision } = useDecisionFilters();
  const query = { ...filters, ...scope };
  // Range and filters as one value: older pages belong to the query that loaded them.
  const queryKey = JSON.stringify([range, query]);
  const [older, setOlder] = useState<{ key: string; pages: DecisionPage[] }>({
    key: '',
    pages: [],
  });
  const [loadingMore, setLoadingMore] = useState(false);

  const first = useAsync(
    () => api.listDecisions(range, query, { limit: PAGE_SIZE }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, queryKey],
  );
  const pages = [
    ...(first.value ? [first.value] : []),
    ...(older.key === queryKey ? older.pages : []),
  ];
  const items = pages.flatMap(p => p.items);
  const nextCursor = pages[pages.length - 1]?.nextCursor;
  const [moreError, setMoreError] = useState<Error>();
  const error = first.error ?? moreError;

  const loadOlder = async () => {
    setLoadingMore(true);
    try {
      const page = await api.listDecisions(range, query, {
        limit: PAGE_SIZE,
        cursor: nextCursor,
      });
      setOlder(previous => ({
        key: queryKey,
        pages: [...(previous.key === queryKey ? previous.pages : []), page],
      }));
    } catch (e) {
      setMoreError(e as Error);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <>
      <DecisionFilterBar />
      {error ? (
        <PlatformErrorPanel
          error={error}
          title="Routing decisions could not be loaded"
        />
      ) : (
        <Table<DecisionListItem>
          title="Routing decisions"
          subtitle={`${label}, newest first`}
          isLoading={first.loading}
          options={{ paging: false, search: false, padding: 'dense' }}
          columns={columns}
          data={items}
          onRowClick={(_e, row) => row && setOpenDecision(row.id)}
          emptyContent={
            <Box p={2}>
              <Typography>
                No traffic yet in this range. Pick a longer time range, clear
                the filters, or send a request through the cell's gateway.
              </Typography>
            </Box>
          }
        />
      )}
      {nextCursor && (
        <Box mt={1}>
          <Button variant="outlined" disabled={loadingMore} onClick={loadOlder}>
            Load older decisions
          </Button>
        </Box>
      )}
      <DecisionDrawer
        id={openDecision}
        onClose={() => setOpenDecision(undefined)}
      />
    </>
  );
}
