import { ConfigReader } from '@backstage/config';
import { KubernetesClusterConfig } from './KubernetesClusterConfig';

describe('KubernetesClusterConfig', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const clusters = KubernetesClusterConfig.fromConfig(
    new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'catalog' },
          {
            type: 'config',
            clusters: [
              {
                name: 'eks-eu-west-1-shared',
                url: 'https://k8s.example.internal/',
                authProvider: 'serviceAccount',
                serviceAccountToken: 'secret-token',
                caData: Buffer.from(ca).toString('base64'),
              },
              {
                name: 'gke-by-user',
                url: 'https://gke.example.internal',
                authProvider: 'google',
              },
            ],
          },
        ],
      },
    }),
  );

  it('reads the clusters of the Kubernetes plugin config', () => {
    expect(clusters.names()).toEqual(['eks-eu-west-1-shared', 'gke-by-user']);
    expect(clusters.lookup('eks-eu-west-1-shared')).toEqual({
      configured: true,
      cluster: {
        name: 'eks-eu-west-1-shared',
        url: 'https://k8s.example.internal',
        token: 'secret-token',
        ca,
        skipTLSVerify: false,
      },
    });
  });

  it('says what to configure for a missing cluster or an auth provider it cannot use', () => {
    expect(clusters.lookup('aks-elsewhere')).toEqual({
      configured: false,
      message: expect.stringMatching(
        /^No cluster "aks-elsewhere" in kubernetes\.clusterLocatorMethods\[type=config\]\.clusters/,
      ),
    });
    expect(clusters.lookup('gke-by-user')).toEqual({
      configured: false,
      message: expect.stringMatching(/uses authProvider "google"/),
    });
    expect(
      KubernetesClusterConfig.fromConfig(new ConfigReader({})).names(),
    ).toEqual([]);
  });

  it('says which caData or caFile it cannot use, instead of failing later', () => {
    const lookup = (tlsOptions: Record<string, string>) =>
      KubernetesClusterConfig.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'eks-bad-ca',
                    url: 'https://k8s.example.internal',
                    authProvider: 'serviceAccount',
                    ...tlsOptions,
                  },
                ],
              },
            ],
          },
        }),
      ).lookup('eks-bad-ca');
    // The PEM itself rather than its base64.
    expect(lookup({ caData: ca })).toEqual({
      configured: false,
      message:
        'Cluster "eks-bad-ca": caData is not the base64 of a PEM certificate',
    });
    expect(lookup({ caFile: '/nonexistent/ca.crt' })).toEqual({
      configured: false,
      message:
        'Cluster "eks-bad-ca": caFile /nonexistent/ca.crt cannot be read (ENOENT)',
    });
  });
});
