import { mockApis, TestApiProvider } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { screen } from '@testing-library/react';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { DeployCard } from './DeployCard';

describe('DeployCard without platform.deploy.apply', () => {
  it('shows the plan but offers no Apply button', async () => {
    const api = mockPlatformApi();
    await renderWithPlatform(
      <TestApiProvider
        apis={[
          [
            permissionApiRef,
            mockApis.permission({ authorize: AuthorizeResult.DENY }),
          ],
        ]}
      >
        <DeployCard entityRef="cell:default/x" />
      </TestApiProvider>,
      { api },
    );
    await screen.findByRole('table', { name: 'Deploy plan' });
    expect(api.getDeployPlan).toHaveBeenCalledWith('cell:default/x');
    expect(screen.queryByRole('button', { name: 'Apply' })).toBeNull();
  });
});
