import { Manifest } from '@cellport/plugin-platform-node';
import {
  KubernetesObject as ClientObject,
  PatchStrategy,
} from '@kubernetes/client-node';
import { ClusterObjectApi } from './ClusterObjectApi';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesCluster } from './KubernetesClusterConfig';
import { KubernetesObject, ObjectRef } from './kubernetesObjects';

/** A resource type as discovery describes it: its URL name and whether it lives in namespaces. */
export interface ApiResource {
  /** The plural in URLs, e.g. `deployments`. */
  name: string;
  namespaced: boolean;
}

type RawList = ClientObject & {
  items?: KubernetesObject[];
  metadata?: { continue?: string };
};

/** Items a list request asks for at a time. */
const PAGE_SIZE = 500;

/**
 * The Kubernetes API calls the deploy driver makes, through `@kubernetes/client-node`'s
 * KubernetesObjectApi, as the configured service account, verifying the API server with the
 * cluster's CA (or not at all, with skipTLSVerify). A certificate that fails verification is a
 * KubernetesUnreachableError saying so (nothing was sent). Discovery is read once per client:
 * create a client per operation so that CRDs installed meanwhile are seen.
 */
export class KubernetesApiClient {
  private readonly api: ClusterObjectApi;

  constructor(cluster: KubernetesCluster, options: { timeoutMs: number }) {
    this.api = ClusterObjectApi.forCluster(cluster, options.timeoutMs);
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the cluster has none. */
  async resource(
    apiVersion: string,
    kind: string,
  ): Promise<ApiResource | undefined> {
    const resource = (await this.api.served(apiVersion))?.find(
      r => r.kind === kind,
    );
    return resource && { name: resource.name, namespaced: resource.namespaced };
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    await this.requireServed(ref);
    try {
      return withType(await this.api.read(header(ref)), ref);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Server-side apply under `fieldManager`, without force: a field another manager owns with
   * another value is a 409 naming that manager (KubernetesApiError), never taken over. With
   * `dryRun`, the API server merges, defaults and validates as it would, and stores nothing:
   * the answer is the object as the apply would leave it.
   */
  async apply(
    manifest: Manifest,
    fieldManager: string,
    options: { dryRun?: boolean } = {},
  ): Promise<KubernetesObject> {
    await this.requireServed(manifest);
    const applied = await this.api.patch(
      // client-node fills in a missing namespace on the object it is given.
      { ...manifest, metadata: { ...manifest.metadata } } as ClientObject,
      undefined,
      options.dryRun ? 'All' : undefined,
      fieldManager,
      false,
      PatchStrategy.ServerSideApply,
    );
    return withType(applied, manifest);
  }

  /**
   * Every object of a type, in all namespaces, matching a label selector. A type the cluster
   * does not serve has no objects.
   */
  async list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
  ): Promise<KubernetesObject[]> {
    if (!(await this.resource(apiVersion, kind))) return [];
    const items: KubernetesObject[] = [];
    let next: string | undefined;
    do {
      // The API server's JSON as sent (see ClusterObjectApi): `continue`, not the model's `_continue`.
      const page: RawList = await this.api.list(
        apiVersion,
        kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
        PAGE_SIZE,
        next,
      );
      // List items carry neither apiVersion nor kind.
      items.push(
        ...(page.items ?? []).map(item => ({ ...item, apiVersion, kind })),
      );
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /** Deletes an object; its dependents go in the background. `absent` if it was not there. */
  async remove(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    await this.requireServed(ref);
    try {
      await this.api.delete(
        header(ref),
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) {
        return 'absent';
      }
      throw error;
    }
  }

  private async requireServed(ref: ObjectRef): Promise<void> {
    if (!(await this.resource(ref.apiVersion, ref.kind))) {
      throw new KubernetesApiError(
        `the cluster serves no ${ref.kind} in ${ref.apiVersion}`,
        404,
        'NotFound',
      );
    }
  }
}

/** A copy of what names the object: client-node fills in a missing namespace on it. */
function header(ref: ObjectRef) {
  const { name, namespace } = ref.metadata;
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
  };
}

/** Objects read back keep the type they were asked as. */
function withType(body: unknown, ref: ObjectRef): KubernetesObject {
  return {
    ...(body as KubernetesObject),
    apiVersion: ref.apiVersion,
    kind: ref.kind,
  };
}
