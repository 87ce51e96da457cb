import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { platformKinds } from '@cellport/plugin-platform-common';
import CellsIcon from '@material-ui/icons/ViewModule';
import { cellsRouteRef } from './routes';

/** The Cells overview, in the sidebar as "Cells". */
export const cellsPage = PageBlueprint.make({
  params: {
    path: '/cells',
    title: 'Cells',
    icon: <CellsIcon />,
    routeRef: cellsRouteRef,
    loader: () => import('./components/CellsPage').then(m => <m.CellsPage />),
  },
});

/** The platform configuration card on the overview tab of every platform kind. */
export const platformOverviewCard = EntityCardBlueprint.make({
  name: 'platform-overview',
  params: {
    filter: { kind: { $in: platformKinds } },
    loader: () =>
      import('./components/PlatformOverviewCard').then(m => (
        <m.PlatformOverviewCard />
      )),
  },
});

/** Cellport's portal pages: the Cells overview and the platform kinds' entity cards. */
export const platformPlugin = createFrontendPlugin({
  pluginId: 'platform',
  title: 'Cells',
  icon: <CellsIcon />,
  extensions: [cellsPage, platformOverviewCard],
  routes: { cells: cellsRouteRef },
});
