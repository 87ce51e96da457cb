import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The key actions' real peer in their tests is the platform backend itself, not a stand-in.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import platformPlugin from '@cellport/plugin-platform-backend';
import { AddressInfo } from 'node:net';
import { PlatformBackendDeps } from '../actions/platformBackend';

/**
 * The real platform backend, which seals the keys the actions make and reveals each once:
 * what an action needs to reach it as the scaffolder, and a reveal as a given user.
 */
export async function startSealingPlatformBackend() {
  const { server } = await startTestBackend({
    features: [
      platformPlugin,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: { platform: { reconciler: { enabled: false } } },
      }),
    ],
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deps: PlatformBackendDeps = {
    discovery: { getBaseUrl: async () => `${baseUrl}/api/platform` } as any,
    auth: mockServices.auth({ pluginId: 'scaffolder' }),
  };
  const reveal = (revealUrl: string, user: string) =>
    fetch(
      `${baseUrl}/api/platform/api-keys/reveals/${revealUrl.split('/').pop()}`,
      {
        method: 'POST',
        headers: { authorization: mockCredentials.user.header(user) },
      },
    );
  return { baseUrl, deps, reveal };
}
