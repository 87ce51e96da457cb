import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import signalsPlugin from '@backstage/plugin-signals-backend';
import { CellEntity, cellEntitySchema } from '@cellport/plugin-platform-common';
import { SimulatorServer } from '@cellport/simulator';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MonitoringStack } from '../../__testUtils__/MonitoringStack';
import { TEST_ENTITIES } from '../../__testUtils__/entities';
import { teamWithMembers } from '../../__testUtils__/teams';
import {
  getJson,
  simulatorGatewayState,
  startGatewayProcess,
} from '../../__testUtils__/e2eGateway';
import { TestProcess } from '../../__testUtils__/testProcess';
import { pollUntil } from '@cellport/plugin-platform-node-test-utils';
import { startPlatformBackend } from '../../__testUtils__/startPlatformBackend';

// Five real peers start here (simulator, gateway, portal backend, Prometheus, Alertmanager).
jest.setTimeout(300_000);

const CELL = 'eu-west-shared-1';
const SLO = 'gateway-availability';
const PAGE_ALERT = 'CellportSloFastBurn';
const API_KEY = 'cp-e2e-alerts-0001';
const WEBHOOK_TOKEN = 'alertmanager-e2e-token';
/** A bound on each wait, generous for a loaded machine; nothing asserts how long a step took. */
const DEADLINE_MS = 120_000;

const ON_CALL = 'user:default/olga.oncall';

/** The cell's owning group and its one member: who the page reaches. */
const ON_CALL_TEAM = teamWithMembers('platform-sre', [ON_CALL]);

/** The test cell as the renderer reads it: the catalog entity, validated with its defaults. */
function testCell(): CellEntity {
  const entity = TEST_ENTITIES.find(
    e => e.kind === 'Cell' && e.metadata.name === CELL,
  );
  return cellEntitySchema.parse(entity);
}

describe('an outage, end to end', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-alerts-e2e-'));
  const simulator = new SimulatorServer({
    port: 0,
    defaults: {
      ttftMs: 0,
      tokensPerSecond: 0,
      errorRate: 0,
      maxOutputTokens: 16,
      embeddingDimensions: 8,
    },
  });
  let gateway: (TestProcess & { url: string }) | undefined;
  let backend: { stop(): Promise<void>; port: number } | undefined;
  let stack: MonitoringStack | undefined;
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });

  beforeAll(async () => {
    await simulator.start();
    const stateFile = path.join(dir, 'gateway-state.json');
    fs.writeFileSync(
      stateFile,
      JSON.stringify(
        simulatorGatewayState({
          cell: CELL,
          simulatorUrl: simulator.url,
          apiKey: API_KEY,
        }),
      ),
    );
    gateway = await startGatewayProcess({
      GATEWAY_STATE_FILE: stateFile,
      GATEWAY_EVENTS: 'off',
      GATEWAY_SPOOL_DIR: path.join(dir, 'spool'),
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
    });

    const knex = await databases.init('SQLITE_3');
    const started = await startPlatformBackend(knex, {
      features: [notificationsPlugin, signalsPlugin],
      entities: [...TEST_ENTITIES, ...ON_CALL_TEAM],
      config: { app: { baseUrl: 'http://localhost:3000' } },
      platform: { alerts: { webhookToken: WEBHOOK_TOKEN } },
    });
    backend = { stop: () => started.stop(), port: started.server.port() };

    stack = new MonitoringStack({
      dir,
      cells: [testCell()],
      targets: [{ address: new URL(gateway.url).host, cell: CELL }],
      backendBaseUrl: `http://127.0.0.1:${backend.port}`,
      webhookToken: WEBHOOK_TOKEN,
    });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await gateway?.kill();
    await backend?.stop();
    await simulator.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pages: the alert fires in Prometheus, reaches Alertmanager, shows in the portal and notifies the owners until resolved', async () => {
    const prometheus = stack!.prometheusUrl;
    const alertmanager = stack!.alertmanagerUrl;
    const portal = `http://127.0.0.1:${backend!.port}/api/platform`;
    const asUser = { Authorization: mockCredentials.user.header() };
    const answers = new Map<number, number>();
    const chat = async () => {
      const response = await fetch(`${gateway!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Wo ist meine Bestellung? 🚚' }],
        }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.text();
      answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
    };
    const firingPageAlerts = async () => {
      const body = await getJson(`${prometheus}/api/v1/alerts`);
      return (body.data.alerts as any[]).filter(
        a =>
          a.labels.alertname === PAGE_ALERT &&
          a.labels.slo === SLO &&
          a.state === 'firing',
      );
    };
    /** The page as the on-call member of the cell's owning group sees it in Backstage. */
    const pageNotifications = async () => {
      const { notifications } = await getJson(
        `http://127.0.0.1:${backend!.port}/api/notifications/notifications`,
        { Authorization: mockCredentials.user.header(ON_CALL) },
      );
      return (notifications as any[]).filter(n =>
        n.payload.topic?.includes(CELL),
      );
    };
    const errorRatio5m = async () => {
      const query = encodeURIComponent(
        `cellport_slo:sli_error:ratio_rate5m{cell="${CELL}",slo="${SLO}"}`,
      );
      const body = await getJson(`${prometheus}/api/v1/query?query=${query}`);
      const [sample] = body.data.result;
      // 0/0 (no request in the window yet) is NaN: not a ratio yet.
      const ratio = sample ? Number(sample.value[1]) : NaN;
      return Number.isNaN(ratio) ? undefined : ratio;
    };

    // Requests keep coming, a few a second, as long as the test runs.
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        await chat().catch(() => undefined);
        await new Promise(resolve => setTimeout(resolve, 50));
      }
    })();
    try {
      // Healthy first: the SLI has traffic, its error ratio is 0 and nothing pages.
      const healthy = await pollUntil(errorRatio5m, {
        deadlineMs: DEADLINE_MS,
        describe: () =>
          `Prometheus never recorded the ${SLO} error ratio of ${CELL}\n${stack!.output()}`,
      });
      expect(healthy).toBe(0);
      expect(await firingPageAlerts()).toEqual([]);
      expect([...answers.keys()]).toEqual([200]);

      // The outage: every upstream call now answers 503.
      const fault = await fetch(`${simulator.url}/admin/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'outage' }),
      });
      expect(fault.status).toBeLessThan(300);

      const [fired] = await pollUntil(
        async () => {
          const alerts = await firingPageAlerts();
          return alerts.length > 0 ? alerts : undefined;
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `no firing ${PAGE_ALERT} in Prometheus; answers so far ${JSON.stringify(
              [...answers],
            )}\n${stack!.output()}`,
        },
      );
      expect(fired.labels).toMatchObject({
        cell: CELL,
        service: 'ai-gateway',
        severity: 'P0',
        owner: 'group:platform-sre',
      });
      expect([...answers.keys()].some(status => status >= 500)).toBe(true);

      const inAlertmanager = await pollUntil(
        async () => {
          const alerts = (await getJson(
            `${alertmanager}/api/v2/alerts?filter=${encodeURIComponent(
              `alertname="${PAGE_ALERT}"`,
            )}`,
          )) as any[];
          return alerts.find(a => a.labels.slo === SLO);
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `Alertmanager never had the alert\n${stack!.output()}`,
        },
      );
      expect(inAlertmanager.status.state).toBe('active');
      expect(inAlertmanager.receivers.map((r: any) => r.name)).toEqual([
        'cellport-page',
      ]);

      const inPortal = await pollUntil(
        async () => {
          const { items } = await getJson(
            `${portal}/alerts?cell=${CELL}&state=firing`,
            asUser,
          );
          return (items as any[]).find(
            a => a.alertname === PAGE_ALERT && a.slo === SLO,
          );
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `the portal's webhook never received the alert\n${stack!.output()}`,
        },
      );
      expect(inPortal).toMatchObject({
        state: 'firing',
        cell: CELL,
        service: 'ai-gateway',
        severity: 'P0',
        fingerprint: inAlertmanager.fingerprint,
        dashboard: `http://localhost:3000/catalog/default/cell/${CELL}/dashboard`,
      });
      expect(inPortal.summary).toContain(
        'error budget of gateway-availability',
      );
      // The owning group of the cell gets one P0 notification for the incident.
      const [paged] = await pollUntil(
        async () => {
          const found = await pageNotifications();
          return found.length > 0 ? found : undefined;
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `${ON_CALL} never received a notification of the page`,
        },
      );
      expect(paged.payload).toMatchObject({
        title: `P0 firing: ${inPortal.summary}`,
        severity: 'critical',
        link: inPortal.dashboard,
      });

      // Alertmanager resolves what Prometheus no longer sends, and says so to the portal.
      await stack!.stopPrometheus();
      const resolved = await pollUntil(
        async () => {
          const { items } = await getJson(
            `${portal}/alerts?cell=${CELL}&state=resolved`,
            asUser,
          );
          return (items as any[]).find(
            a => a.fingerprint === inPortal.fingerprint,
          );
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `the portal never heard that the alert resolved\n${stack!.output()}`,
        },
      );
      expect(resolved.startsAt).toBe(inPortal.startsAt);
      // The resolution replaces the firing notification rather than adding a second one.
      let seen: any[] = [];
      const afterResolution = await pollUntil(
        async () => {
          seen = await pageNotifications();
          return seen.some(n => n.payload.title.startsWith('Resolved: '))
            ? seen
            : undefined;
        },
        {
          deadlineMs: DEADLINE_MS,
          describe: () =>
            `${ON_CALL}'s notification never said the page resolved: ${JSON.stringify(
              seen.map(n => n.payload.title),
            )}`,
        },
      );
      expect(afterResolution).toHaveLength(1);
      expect(afterResolution[0].id).toBe(paged.id);
      expect(afterResolution[0].payload).toMatchObject({
        title: `Resolved: ${inPortal.summary}`,
        severity: 'low',
      });
      expect(Date.parse(resolved.endsAt)).toBeGreaterThan(
        Date.parse(resolved.startsAt),
      );
    } finally {
      sending = false;
      await traffic;
    }
  });
});
