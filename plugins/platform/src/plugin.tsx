import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { platformKinds } from '@cellport/plugin-platform-common';
import CellsIcon from '@material-ui/icons/ViewModule';
import { platformApiRef, PlatformClient } from './api';
import { cellsRouteRef } from './routes';

/** The platform backend's client, as the signed-in user. */
export const platformApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: platformApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new PlatformClient(deps),
    }),
});

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

/**
 * Where a template run's one-time API key link leads (`/api-keys/reveal/:token`). Not in the
 * sidebar: it is only ever reached from that link.
 */
export const apiKeyRevealPage = PageBlueprint.make({
  name: 'api-key-reveal',
  params: {
    path: '/api-keys',
    loader: () =>
      import('./components/ApiKeyRevealPage').then(m => <m.ApiKeyRevealPage />),
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

/** A Cell's dashboard: SLOs, traffic, blast radius, runtime sync. */
export const cellDashboardContent = EntityContentBlueprint.make({
  name: 'cell-dashboard',
  params: {
    path: 'dashboard',
    title: 'Dashboard',
    filter: { kind: 'cell' },
    loader: () =>
      import('./components/CellDashboard').then(m => <m.CellDashboard />),
  },
});

/** A Cell's cost: token cost over time, its tenants' budgets, GPU cost. */
export const cellCostContent = EntityContentBlueprint.make({
  name: 'cell-cost',
  params: {
    path: 'cost',
    title: 'Cost',
    filter: { kind: 'cell' },
    loader: () =>
      import('./components/CellCostContent').then(m => <m.CellCostContent />),
  },
});

/** The routing-decision explorer, scoped to a Cell, Tenant or Agent. */
export const routingContent = EntityContentBlueprint.make({
  name: 'routing',
  params: {
    path: 'routing',
    title: 'Routing',
    filter: { kind: { $in: ['cell', 'tenant', 'agent'] } },
    loader: () =>
      import('./components/RoutingContent').then(m => <m.RoutingContent />),
  },
});

/** "What if…" on a ModelProfile's page: the profile down, removed or repriced, replayed. */
export const modelProfileReplayContent = EntityContentBlueprint.make({
  name: 'model-profile-replay',
  params: {
    path: 'what-if',
    title: 'What if…',
    filter: { kind: 'modelprofile' },
    loader: () =>
      import('./components/ModelProfileReplay').then(m => (
        <m.ModelProfileReplay />
      )),
  },
});

/** Cheaper routing for a Cell's or a Tenant's agents, replayed, each proposable for review. */
export const recommendationsContent = EntityContentBlueprint.make({
  name: 'recommendations',
  params: {
    path: 'recommendations',
    title: 'Recommendations',
    filter: { kind: { $in: ['cell', 'tenant'] } },
    loader: () =>
      import('./components/RecommendationsCard').then(m => (
        <m.RecommendationsContent />
      )),
  },
});

/** An Agent's SLOs, cost vs run budget and traffic. */
export const agentDashboardContent = EntityContentBlueprint.make({
  name: 'agent-dashboard',
  params: {
    path: 'dashboard',
    title: 'Dashboard',
    filter: { kind: 'agent' },
    loader: () =>
      import('./components/AgentDashboard').then(m => <m.AgentDashboard />),
  },
});

/** A Tenant's budget and spend, cells and agents, cost and SLOs. */
export const tenantDashboardContent = EntityContentBlueprint.make({
  name: 'tenant-dashboard',
  params: {
    path: 'dashboard',
    title: 'Dashboard',
    filter: { kind: 'tenant' },
    loader: () =>
      import('./components/TenantDashboard').then(m => <m.TenantDashboard />),
  },
});

/** A ModelProfile's traffic share, cost share and error rate. */
export const modelProfileTrafficCard = EntityCardBlueprint.make({
  name: 'model-profile-traffic',
  params: {
    filter: { kind: 'modelprofile' },
    loader: () =>
      import('./components/ModelProfileTrafficCard').then(m => (
        <m.ModelProfileTrafficCard />
      )),
  },
});

/** An InferenceDeployment's GPU-hours and GPU cost. */
export const inferenceDeploymentCostCard = EntityCardBlueprint.make({
  name: 'inference-deployment-cost',
  params: {
    filter: { kind: 'inferencedeployment' },
    loader: () =>
      import('./components/InferenceDeploymentCostCard').then(m => (
        <m.InferenceDeploymentCostCard />
      )),
  },
});

/** An InferenceDeployment's GPU memory fit and headroom, from its spec as it is now. */
export const inferenceDeploymentGpuFitCard = EntityCardBlueprint.make({
  name: 'inference-deployment-gpu-fit',
  params: {
    filter: { kind: 'inferencedeployment' },
    loader: () => import('./components/GpuFitCard').then(m => <m.GpuFitCard />),
  },
});

/** An InferenceDeployment's deploy plan, apply, rollout status and audit log. */
export const inferenceDeploymentDeployCard = EntityCardBlueprint.make({
  name: 'inference-deployment-deploy',
  params: {
    filter: { kind: 'inferencedeployment' },
    loader: () =>
      import('./components/DeployCard').then(m => <m.EntityDeployCard />),
  },
});

/** Cellport's portal pages: the Cells overview, cell dashboards and the platform kinds' tabs. */
export const platformPlugin = createFrontendPlugin({
  pluginId: 'platform',
  title: 'Cells',
  icon: <CellsIcon />,
  extensions: [
    platformApi,
    cellsPage,
    apiKeyRevealPage,
    platformOverviewCard,
    cellDashboardContent,
    cellCostContent,
    routingContent,
    modelProfileReplayContent,
    recommendationsContent,
    agentDashboardContent,
    tenantDashboardContent,
    modelProfileTrafficCard,
    inferenceDeploymentCostCard,
    inferenceDeploymentGpuFitCard,
    inferenceDeploymentDeployCard,
  ],
  routes: { cells: cellsRouteRef },
});
