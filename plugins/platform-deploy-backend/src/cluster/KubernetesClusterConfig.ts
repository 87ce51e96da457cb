import { Config } from '@backstage/config';
import fs from 'node:fs';

/** How the deploy driver reaches one cluster. */
export interface KubernetesCluster {
  name: string;
  /** The API server's base URL, e.g. https://kubernetes.eu-west-1.example.internal. */
  url: string;
  /** Bearer token of the service account the driver acts as. */
  token?: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca?: string;
  skipTLSVerify: boolean;
}

/** A configured cluster, or why the name does not lead to one. */
export type ClusterLookup =
  | { configured: true; cluster: KubernetesCluster }
  | { configured: false; message: string };

/**
 * The clusters of app-config's `kubernetes.clusterLocatorMethods` entries of `type: config`,
 * the configuration Backstage's Kubernetes plugin reads, so one entry serves both the
 * plugin's workload tab and the deploy driver. A Cell's `spec.cluster` names its entry.
 *
 * Only `authProvider: serviceAccount` is supported: the driver acts with the entry's
 * `serviceAccountToken`. Other providers (aws, google, oidc...) sign requests per user or
 * with cloud credentials the driver does not hold; such an entry is reported, not used.
 */
export class KubernetesClusterConfig {
  static fromConfig(config: Config): KubernetesClusterConfig {
    const entries = new Map<string, Config>();
    for (const method of config.getOptionalConfigArray(
      'kubernetes.clusterLocatorMethods',
    ) ?? []) {
      if (method.getString('type') !== 'config') continue;
      for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
        entries.set(cluster.getString('name'), cluster);
      }
    }
    return new KubernetesClusterConfig(entries);
  }

  private constructor(private readonly entries: Map<string, Config>) {}

  /** The names of the configured clusters. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  lookup(name: string): ClusterLookup {
    const entry = this.entries.get(name);
    if (!entry) {
      return {
        configured: false,
        message: `No cluster "${name}" in kubernetes.clusterLocatorMethods[type=config].clusters; add it (name, url, authProvider: serviceAccount, serviceAccountToken) to deploy`,
      };
    }
    const authProvider = entry.getOptionalString('authProvider');
    if (authProvider !== 'serviceAccount') {
      return {
        configured: false,
        message: `Cluster "${name}" uses authProvider "${authProvider}"; the deploy driver acts only as a service account (authProvider: serviceAccount with serviceAccountToken)`,
      };
    }
    const ca = readCa(
      entry.getOptionalString('caData'),
      entry.getOptionalString('caFile'),
    );
    if (ca.problem) {
      return { configured: false, message: `Cluster "${name}": ${ca.problem}` };
    }
    return {
      configured: true,
      cluster: {
        name,
        url: entry.getString('url').replace(/\/+$/, ''),
        token: entry.getOptionalString('serviceAccountToken'),
        ca: ca.pem,
        skipTLSVerify: entry.getOptionalBoolean('skipTLSVerify') ?? false,
      },
    };
  }
}

/**
 * The cluster's CA bundle, as the Kubernetes plugin takes it: `caData` (base64 of the PEM)
 * first, else `caFile`, read on every lookup so that a rotated file is picked up. Without
 * either, the system's CAs verify the API server.
 */
function readCa(
  caData?: string,
  caFile?: string,
): { pem?: string; problem?: string } {
  if (caData) {
    const pem = Buffer.from(caData, 'base64').toString('utf8');
    return pem.includes('-----BEGIN CERTIFICATE-----')
      ? { pem }
      : { problem: 'caData is not the base64 of a PEM certificate' };
  }
  if (caFile === undefined) return {};
  try {
    return { pem: fs.readFileSync(caFile, 'utf8') };
  } catch (error) {
    return {
      problem: `caFile ${caFile} cannot be read (${
        (error as NodeJS.ErrnoException).code ?? error
      })`,
    };
  }
}
