// The embedded default's runtime wiring, shared by `npm start` and the browser tests: the
// portal's local runtime (one gateway per Cell in front of the simulator, the demo cells on
// fixed ports), events flowing back to the portal, demo API keys for every demo agent, and
// the portal's live demo traffic through those keys.
//
// Secrets (admin and events tokens, demo keys) are generated once per checkout into
// data/demo-secrets.json, which git ignores; only their SHA-256 reaches the portal's config.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { parse, parseAllDocuments } = require('yaml');

const SIMULATOR_PORT = 7070;
const FIRST_GATEWAY_PORT = 7081;
/**
 * The cell the browser tests apply from its Deploy card: the test command points the portal at
 * a Kubernetes API server for this cell's `spec.cluster`.
 */
const DEPLOY_TEST_CELL = 'meridian-dedicated';
/**
 * Where the browser tests serve that cluster (Playwright's global setup), or the first port
 * after the demo cells' gateways if they reach it. Below the kernel's ephemeral range, so no
 * outgoing connection of the portal holds it; a cell added during the tests gets its gateway
 * on another port, as the local runtime skips ports in use.
 */
const DEPLOY_TEST_CLUSTER_PORT = 7090;

const token = bytes => crypto.randomBytes(bytes).toString('base64url');
const sha256 = text => crypto.createHash('sha256').update(text).digest('hex');

function loadExamples(repo, file) {
  const text = fs.readFileSync(path.join(repo, 'examples', file), 'utf8');
  return parseAllDocuments(text).map(doc => doc.toJS());
}

/** Reads, or creates once, the demo's secrets. */
function demoSecrets(repo, agents) {
  const file = path.join(repo, 'data', 'demo-secrets.json');
  const secrets = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))
    : { gatewayAdminToken: token(24), eventsToken: token(24), agentKeys: {} };
  for (const agent of agents) {
    secrets.agentKeys[agent.metadata.name] ??= `cpk_${token(24)}`;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, {
    mode: 0o600,
  });
  return secrets;
}

/**
 * Where the embedded default listens and what the demo catalog holds, read from app-config.yaml
 * and examples/ without writing anything: the one place `npm start` and the test command take
 * ports, counts and the deploy tests' cluster from.
 */
function demoLayout(repo) {
  const config = parse(
    fs.readFileSync(path.join(repo, 'app-config.yaml'), 'utf8'),
  );
  const cells = loadExamples(repo, 'cells.yaml');
  const agents = loadExamples(repo, 'agents.yaml');
  const deployCell = cells.find(c => c.metadata.name === DEPLOY_TEST_CELL);
  const portOf = url => Number(new URL(url).port);
  const gateways = cells.map((cell, index) => ({
    cell: cell.metadata.name,
    port: FIRST_GATEWAY_PORT + index,
  }));
  return {
    portal: {
      appUrl: config.app.baseUrl,
      backendUrl: config.backend.baseUrl,
      ports: [
        portOf(config.app.baseUrl),
        config.backend.listen?.port ?? portOf(config.backend.baseUrl),
      ],
    },
    simulatorPort: SIMULATOR_PORT,
    firstGatewayPort: FIRST_GATEWAY_PORT,
    // The portal's local runtime starts these cells' gateways on these ports (new cells get
    // the next free one), so the demo traffic and the README's URLs stay put.
    gateways,
    cells: cells.map(c => c.metadata.name),
    // Their backfilled history ends in an outage on purpose: once it shows, the backfill is in.
    outageCells: cells
      .filter(c => c.metadata.annotations?.['cellport.dev/demo-outage-hours'])
      .map(c => c.metadata.name),
    agents: agents.map(a => a.metadata.name),
    // Undefined when examples/ has no such cell with a cluster: the browser tests say so.
    deployTestCell: deployCell?.spec?.cluster && {
      name: deployCell.metadata.name,
      cluster: deployCell.spec.cluster,
      apiServerPort: Math.max(
        DEPLOY_TEST_CLUSTER_PORT,
        FIRST_GATEWAY_PORT + gateways.length,
      ),
    },
  };
}

/**
 * Everything the demo processes need: environment for the portal backend, the demo cells'
 * gateway ports, and the simulator's environment.
 */
function demoEnvironment(repo) {
  const layout = demoLayout(repo);
  const agents = loadExamples(repo, 'agents.yaml');
  const secrets = demoSecrets(repo, agents);
  const { gateways } = layout;

  const apiKeys = agents.map(agent => {
    const key = secrets.agentKeys[agent.metadata.name];
    return {
      tenant: agent.spec.tenant,
      agent: agent.metadata.name,
      sha256: sha256(key),
      prefix: key.slice(0, 10),
    };
  });

  const backendEnv = {
    APP_CONFIG_backend_auth_externalAccess: JSON.stringify([
      {
        type: 'static',
        options: { token: secrets.eventsToken, subject: 'cellport-gateway' },
        accessRestrictions: [{ plugin: 'platform' }],
      },
    ]),
    APP_CONFIG_platform_reconciler_adminToken: secrets.gatewayAdminToken,
    APP_CONFIG_platform_localRuntime: JSON.stringify({
      enabled: true,
      stateDir: path.join(repo, 'data', 'local-runtime'),
      spoolDir: path.join(repo, 'data', 'gateway-spool'),
      upstreamOrigin: `http://127.0.0.1:${SIMULATOR_PORT}`,
      eventsUrl: layout.portal.backendUrl,
      eventsToken: secrets.eventsToken,
      firstPort: FIRST_GATEWAY_PORT,
      ports: Object.fromEntries(gateways.map(g => [g.cell, g.port])),
    }),
    APP_CONFIG_platform_reconciler_apiKeys: JSON.stringify(apiKeys),
    // A first start backfills two weeks of history, marked as demo data, through the ingest
    // path, and then sends a few requests a second through every agent's key.
    APP_CONFIG_platform_demo: JSON.stringify({
      enabled: true,
      backfillDaysOnStart: 14,
      traffic: {
        enabled: true,
        requestsPerSecond: 3,
        targets: agents.map(agent => ({
          gatewayUrl: `http://127.0.0.1:${
            gateways.find(g => g.cell === agent.spec.cell).port
          }`,
          apiKey: secrets.agentKeys[agent.metadata.name],
          models: [...agent.spec.modelProfiles, 'auto'],
        })),
      },
    }),
  };

  return {
    layout,
    backendEnv,
    gateways,
    simulator: {
      port: SIMULATOR_PORT,
      // A rare upstream failure, so the dashboards show errors and fallbacks without every
      // cell paging (the gateway's availability objective is 99.95%).
      env: {
        SIMULATOR_PORT: String(SIMULATOR_PORT),
        SIMULATOR_ERROR_RATE: '0.001',
        LOG_LEVEL: 'warn',
      },
    },
  };
}

module.exports = { DEPLOY_TEST_CELL, demoEnvironment, demoLayout };
