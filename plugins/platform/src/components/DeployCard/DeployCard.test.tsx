import { mockApis, TestApiProvider } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  DeployApplyResponse,
  DeployAuditRecord,
  DeployPlan,
  DeployRolloutStatus,
  PlatformApi,
  WorkloadRollout,
} from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { DeployCard, ROLLOUT_REFRESH_MS } from './DeployCard';

const ENTITY = 'cell:default/meridian-dedicated';

const plan: DeployPlan = {
  entityRef: ENTITY,
  cell: 'meridian-dedicated',
  cluster: { name: 'eks-us-east-1-meridian', configured: true },
  objects: [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      name: 'tenant-meridian-bank',
      action: 'create',
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'cellport-runtime',
      name: 'cellport-gateway',
      action: 'change',
      changedFields: ['spec.replicas'],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'cellport-runtime',
      name: 'cellport-gateway',
      action: 'unchanged',
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      namespace: 'tenant-old',
      name: 'default-deny',
      action: 'prune',
    },
  ],
  counts: { create: 1, change: 1, unchanged: 1, prune: 1 },
};

const audited: DeployAuditRecord = {
  id: 7,
  at: '2026-11-23T08:00:00.000Z',
  actor: 'user:default/sre-on-call',
  entityRef: ENTITY,
  cluster: 'eks-us-east-1-meridian',
  result: 'applied',
  overrideReason: 'INC-4211 rollback',
  errorBudgets: [{ objective: 'gateway-availability', remainingFraction: -2 }],
  counts: { applied: 3, changed: 1, pruned: 1, failed: 0, notAttempted: 0 },
  objects: [],
};

const refused: DeployApplyResponse = {
  auditId: 8,
  entityRef: ENTITY,
  cell: 'meridian-dedicated',
  cluster: 'eks-us-east-1-meridian',
  result: 'refused',
  message:
    'The availability error budget of cell "meridian-dedicated" is exhausted',
  errorBudgetExhausted: true,
  errorBudgets: [{ objective: 'gateway-availability', remainingFraction: -2 }],
  objects: [],
  counts: { applied: 0, changed: 0, pruned: 0, failed: 0, notAttempted: 3 },
};

const applied: DeployApplyResponse = {
  ...refused,
  auditId: 9,
  result: 'applied',
  message: undefined,
  overrideReason: 'INC-4211 rollback',
  objects: [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'cellport-runtime',
      name: 'cellport-gateway',
      operation: 'apply',
      outcome: 'applied',
      changed: true,
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      namespace: 'tenant-old',
      name: 'default-deny',
      operation: 'prune',
      outcome: 'pruned',
    },
  ],
  counts: { applied: 3, changed: 1, pruned: 1, failed: 0, notAttempted: 0 },
};

/** The cell's rollout status: its gateway Deployment, `done` of 2 replicas updated and ready. */
function gatewayRollout(
  done: number,
  overrides: Partial<WorkloadRollout> = {},
): DeployRolloutStatus {
  return {
    entityRef: ENTITY,
    cluster: plan.cluster,
    workloads: [
      {
        kind: 'Deployment',
        namespace: 'cellport-runtime',
        name: 'cellport-gateway',
        desiredReplicas: 2,
        replicas: 2,
        updatedReplicas: done,
        readyReplicas: done,
        availableReplicas: done,
        rolledOut: done === 2,
        conditions: [],
        ...overrides,
      },
    ],
  };
}

/** Lets the card's rollout timer fire `times` times (under jest's fake timers). */
const nextRolloutRead = (times = 1) =>
  act(async () => {
    jest.advanceTimersByTime(ROLLOUT_REFRESH_MS * times);
  });

const rolloutShows = (text: string) =>
  waitFor(() =>
    expect(screen.getByRole('table', { name: 'Rollout' })).toHaveTextContent(
      text,
    ),
  );

/** usePermission caches decisions for the module's life: denial is tested in a file of its own. */
async function renderCard(api: PlatformApi, signals?: SignalApi) {
  return renderWithPlatform(
    <TestApiProvider
      apis={[
        [
          permissionApiRef,
          mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
        ],
        ...(signals ? [[signalApiRef, signals] as const] : []),
      ]}
    >
      <DeployCard entityRef={ENTITY} />
    </TestApiProvider>,
    { api },
  );
}

describe('DeployCard', () => {
  it('shows loading', async () => {
    await renderCard(
      mockPlatformApi({
        getDeployPlan: jest.fn(() => pending()),
        getDeployStatus: jest.fn(() => pending()),
        getDeployAudit: jest.fn(() => pending()),
      }),
    );
    expect(screen.getAllByTestId('progress')).toHaveLength(3);
  });

  it('shows why the plan failed', async () => {
    await renderCard(
      mockPlatformApi({
        getDeployPlan: jest.fn(async () => {
          throw new Error(
            '503 Could not read cluster "eks-us-east-1-meridian": connect ECONNREFUSED',
          );
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/connect ECONNREFUSED/)).length,
    ).toBeGreaterThan(0);
    expect(
      await screen.findByText(/Nobody has applied this entity/),
    ).toBeInTheDocument();
  });

  it('explains a cell without a configured cluster, and does not offer to apply', async () => {
    await renderCard(mockPlatformApi());
    expect(
      await screen.findByText(/Cluster x is not configured/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No cluster configured, no rollout to show.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Nobody has applied this entity/),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Apply' })).toBeDisabled();
  });

  it('shows the plan, the rollout and the audit log, and asks for a reason when the error budget is spent', async () => {
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest.fn(async () =>
        gatewayRollout(2, {
          desiredReplicas: 4,
          replicas: 5,
          updatedReplicas: 2,
          readyReplicas: 4,
          availableReplicas: 4,
          rolledOut: false,
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
            },
          ],
        }),
      ),
      getDeployAudit: jest.fn(async () => ({ items: [audited] })),
      applyDeploy: jest
        .fn()
        .mockResolvedValueOnce(refused)
        .mockResolvedValueOnce(applied),
    });
    await renderCard(api);

    const planTable = await screen.findByRole('table', { name: 'Deploy plan' });
    const rows = within(planTable).getAllByRole('row');
    expect(rows[2]).toHaveTextContent('Deployment/cellport-gateway');
    expect(rows[2]).toHaveTextContent('change');
    expect(rows[2]).toHaveTextContent('spec.replicas');
    expect(rows[4]).toHaveTextContent('prune');
    expect(
      screen.getByText('1 to create, 1 to change, 1 unchanged, 1 to prune'),
    ).toBeInTheDocument();
    const rollout = await screen.findByRole('table', { name: 'Rollout' });
    expect(rollout).toHaveTextContent('rolling out');
    expect(rollout).toHaveTextContent('Progressing=True (ReplicaSetUpdated)');
    const log = await screen.findByRole('table', { name: 'Deploy audit log' });
    expect(log).toHaveTextContent('user:default/sre-on-call');
    expect(log).toHaveTextContent('INC-4211 rollback');

    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Error budget exhausted');
    expect(
      within(dialog).getByRole('button', { name: 'Apply anyway' }),
    ).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText('Override reason'), {
      target: { value: '  INC-4211 rollback ' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Apply anyway' }),
    );

    const result = await screen.findByRole('table', { name: 'Apply results' });
    expect(api.applyDeploy).toHaveBeenNthCalledWith(1, ENTITY, undefined);
    expect(api.applyDeploy).toHaveBeenNthCalledWith(
      2,
      ENTITY,
      'INC-4211 rollback',
    );
    expect(result).toHaveTextContent('applied, changed');
    expect(result).toHaveTextContent('prune NetworkPolicy/default-deny');
    expect(
      screen.getByText('Applied 3 objects (1 changed), pruned 1.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(api.getDeployAudit).toHaveBeenCalledTimes(3));
  });

  it('asks for a reason when the error budgets cannot be read, saying so', async () => {
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest.fn(async () => gatewayRollout(2)),
      getDeployAudit: jest.fn(async () => ({ items: [] })),
      applyDeploy: jest
        .fn()
        .mockResolvedValueOnce({
          ...refused,
          message:
            'The error budgets of cell "meridian-dedicated" could not be read from the platform backend: Request failed with 503 Service Unavailable; changes wait until they can be read, or give an override reason',
          errorBudgetExhausted: false,
          errorBudgetUnknown: true,
          errorBudgets: [],
        })
        .mockResolvedValueOnce(applied),
    });
    await renderCard(api);
    await screen.findByRole('table', { name: 'Deploy plan' });

    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Error budget unknown');
    expect(dialog).toHaveTextContent(
      'The error budgets of cell meridian-dedicated cannot be read now',
    );
    fireEvent.change(within(dialog).getByLabelText('Override reason'), {
      target: { value: 'INC-78 gateway fix' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Apply anyway' }),
    );
    await screen.findByRole('table', { name: 'Apply results' });
    expect(api.applyDeploy).toHaveBeenNthCalledWith(
      2,
      ENTITY,
      'INC-78 gateway fix',
    );
  });

  it('follows a rollout until every workload is rolled out, then stops reading it', async () => {
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest
        .fn()
        .mockResolvedValueOnce(gatewayRollout(1))
        .mockResolvedValue(gatewayRollout(2)),
    });
    jest.useFakeTimers();
    try {
      await renderCard(api);
      const rollout = await screen.findByRole('table', { name: 'Rollout' });
      expect(rollout).toHaveTextContent('rolling out');
      expect(api.getDeployStatus).toHaveBeenCalledTimes(1);

      await nextRolloutRead();
      await rolloutShows('rolled out');
      await nextRolloutRead(3);
      expect(api.getDeployStatus).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads the rollout again when the backend signals its channel, without waiting for the timer', async () => {
    const listeners = new Map<string, (message: object) => void>();
    const signals: SignalApi = {
      subscribe: (channel, onMessage) => {
        listeners.set(channel, onMessage as (message: object) => void);
        return { unsubscribe: () => listeners.delete(channel) };
      },
    };
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest
        .fn()
        .mockResolvedValueOnce(gatewayRollout(1))
        .mockResolvedValue(gatewayRollout(2)),
    });
    await renderCard(api, signals);
    const rollout = await screen.findByRole('table', { name: 'Rollout' });
    expect(rollout).toHaveTextContent('rolling out');
    const onSignal = listeners.get(
      'platform:deploy-rollout:cell:default/meridian-dedicated',
    );
    expect(onSignal).toBeDefined();
    act(() => onSignal!({ entityRef: ENTITY, done: true }));
    await rolloutShows('rolled out');
    expect(api.getDeployStatus).toHaveBeenCalledTimes(2);
  });

  it('keeps following a rollout through a read that failed, still showing the last one', async () => {
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest
        .fn()
        .mockResolvedValueOnce(gatewayRollout(1))
        .mockRejectedValueOnce(new Error('503 the cluster did not answer'))
        .mockResolvedValue(gatewayRollout(2)),
    });
    jest.useFakeTimers();
    try {
      await renderCard(api);
      expect(
        await screen.findByRole('table', { name: 'Rollout' }),
      ).toHaveTextContent('rolling out');

      await nextRolloutRead();
      expect(
        (await screen.findAllByText(/the cluster did not answer/)).length,
      ).toBeGreaterThan(0);
      await rolloutShows('rolling out');

      await nextRolloutRead();
      await rolloutShows('rolled out');
      expect(screen.queryByText(/the cluster did not answer/)).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads the rollout after an override even while the read after the refusal is still on its way', async () => {
    const rolledOut = gatewayRollout(2);
    const nothingYet = { ...rolledOut, workloads: [] };
    let answerSlowRead: (value: typeof nothingYet) => void = () => {};
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      getDeployStatus: jest
        .fn()
        .mockResolvedValueOnce(nothingYet)
        .mockReturnValueOnce(
          new Promise(resolve => {
            answerSlowRead = resolve;
          }),
        )
        .mockResolvedValue(rolledOut),
      applyDeploy: jest
        .fn()
        .mockResolvedValueOnce(refused)
        .mockResolvedValueOnce(applied),
    });
    await renderCard(api);
    expect(
      await screen.findByText(
        'No workloads of this entity run in the cluster yet.',
      ),
    ).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Override reason'), {
      target: { value: 'INC-4211 rollback' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Apply anyway' }),
    );
    await screen.findByRole('table', { name: 'Apply results' });

    const rollout = await screen.findByRole('table', { name: 'Rollout' });
    expect(rollout).toHaveTextContent('rolled out');
    // The read started before the override answers last: it must not win.
    await act(async () => answerSlowRead(nothingYet));
    expect(screen.getByRole('table', { name: 'Rollout' })).toHaveTextContent(
      'rolled out',
    );
  });

  it('shows a refused apply without a cluster as an error', async () => {
    const api = mockPlatformApi({
      getDeployPlan: jest.fn(async () => plan),
      applyDeploy: jest.fn(async () => {
        throw new Error('400 No cluster configured for cell "x"');
      }),
    });
    await renderCard(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Apply' }));
    expect(
      (await screen.findAllByText(/No cluster configured for cell/)).length,
    ).toBeGreaterThan(0);
  });
});
