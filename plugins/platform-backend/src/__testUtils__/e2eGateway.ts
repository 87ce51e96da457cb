import { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { startTestProcess, TestProcess } from './testProcess';

/**
 * A gateway's desired state for live tests: one tenant with limits no test reaches, one API
 * key, one chat model served by the simulator.
 */
export function simulatorGatewayState(options: {
  cell: string;
  simulatorUrl: string;
  apiKey: string;
  tenant?: string;
}): GatewayDesiredState {
  const tenant = options.tenant ?? 'northwind-retail';
  return {
    schemaVersion: 1,
    version: `${options.cell}-e2e`,
    cell: options.cell,
    tenants: [
      {
        id: tenant,
        monthlyBudgetUsd: 1000,
        limits: { requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 },
        allowedModels: ['sim-chat'],
        residencyRegions: [],
        classification: 'INTERNAL',
        promptCache: false,
      },
    ],
    apiKeys: [
      {
        sha256: createHash('sha256').update(options.apiKey).digest('hex'),
        prefix: options.apiKey.slice(0, 12),
        tenant,
      },
    ],
    modelProfiles: [
      {
        id: 'sim-chat',
        alias: 'gpt-4o-mini',
        type: 'chat',
        provider: 'simulator',
        upstreamModel: 'sim-chat-model',
        endpoint: `${options.simulatorUrl}/v1`,
        region: 'eu-west-1',
        qualityTier: 'standard',
        contextLength: 128_000,
        maxOutputTokens: 256,
        features: [],
        inputPerMillionUsd: 1,
        outputPerMillionUsd: 2,
        maxClassification: 'CONFIDENTIAL',
      },
    ],
    agents: [],
  };
}

/** The gateway's entry point as its own process, TypeScript through Backstage's loader. */
export async function startGatewayProcess(
  env: NodeJS.ProcessEnv,
): Promise<TestProcess & { url: string }> {
  const gatewayDir = path.dirname(
    require.resolve('@cellport/gateway/package.json'),
  );
  const started = await startTestProcess(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      path.join(gatewayDir, 'src', 'index.ts'),
    ],
    {
      env: { GATEWAY_PORT: '0', LOG_LEVEL: 'info', ...env },
      ready: /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
    },
  );
  return { ...started, url: started.match[1] };
}

/** GETs JSON from a live peer; anything but a 2xx is an error naming the URL and status. */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<any> {
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
