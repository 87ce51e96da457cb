import {
  ApiException,
  Configuration,
  createConfiguration,
  HttpMethod,
  KubeConfig,
  KubernetesObject as ClientObject,
  KubernetesObjectApi,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  V1APIResource,
  V1APIResourceList,
} from '@kubernetes/client-node';
import { clusterError } from './clusterError';
import { ConnectionWatch } from './ConnectionWatch';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesCluster } from './KubernetesClusterConfig';

/**
 * client-node's KubernetesObjectApi for one configured cluster, as the deploy driver needs it:
 * - answers are the API server's JSON as sent: client-node's models would turn timestamps into
 *   Dates and drop fields they do not know, and the plan compares what the server returns;
 * - discovery (`/api/v1`, `/apis/<group>/<version>`) is read once per group version, shared by
 *   concurrent requests, and remembers a group version the cluster does not serve; subresources
 *   (`deployments/status`) are never taken for their parent;
 * - each request gives up after `timeoutMs`, and every failure is a KubernetesApiError or
 *   KubernetesUnreachableError naming the cluster, never its credentials.
 *
 * Requests are built by client-node as it builds them. An apply of a built-in kind is sent
 * through client-node's model of that kind, so a field the model does not know is left out
 * (an API server would drop or refuse it too); other kinds are sent as given.
 */
export class ClusterObjectApi extends KubernetesObjectApi {
  private readonly discovery = new Map<
    string,
    Promise<V1APIResource[] | undefined>
  >();

  static forCluster(
    cluster: KubernetesCluster,
    timeoutMs: number,
  ): ClusterObjectApi {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.ca && Buffer.from(cluster.ca).toString('base64'),
        // client-node refuses a plain http URL unless told not to verify; there is nothing to verify.
        skipTLSVerify: cluster.skipTLSVerify || cluster.url.startsWith('http:'),
      },
      { name: 'cellport-deploy', token: cluster.token },
    );
    const connections = new ConnectionWatch();
    // What KubeConfig.makeApiClient does, with the connection watch added.
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.url, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [connections.middleware],
    });
    return new ClusterObjectApi(configuration, {
      cluster,
      timeoutMs,
      connections,
    });
  }

  private constructor(
    configuration: Configuration,
    private readonly options: {
      cluster: KubernetesCluster;
      timeoutMs: number;
      connections: ConnectionWatch;
    },
  ) {
    super(configuration);
  }

  /** The resources of a group version, or undefined when the cluster does not serve it. */
  served(apiVersion: string): Promise<V1APIResource[] | undefined> {
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      resources = this.discover(apiVersion);
      this.discovery.set(apiVersion, resources);
      resources.catch(() => this.discovery.delete(apiVersion));
    }
    return resources;
  }

  /** Where client-node looks up a kind's plural and scope to build an object's path. */
  protected override async resource(
    apiVersion: string,
    kind: string,
  ): Promise<V1APIResource | undefined> {
    return (await this.served(apiVersion))?.find(r => r.kind === kind);
  }

  protected override async requestPromise<T extends ClientObject>(
    context: RequestContext,
    type?: string,
    options?: Configuration,
  ): Promise<T> {
    const { cluster, timeoutMs, connections } = this.options;
    context.setSignal(AbortSignal.timeout(timeoutMs));
    try {
      return await super.requestPromise<T>(context, type, options);
    } catch (error) {
      throw await clusterError(error, {
        cluster,
        method: context.getHttpMethod(),
        path: new URL(context.getUrl()).pathname,
        timeoutMs,
        connection: connections.state(context),
      });
    }
  }

  protected override async processResponse<T extends ClientObject>(
    response: ResponseContext,
  ): Promise<T> {
    const status = response.httpStatusCode;
    if (status < 200 || status > 299) {
      throw new ApiException(
        status,
        'Unsuccessful HTTP Request',
        await response.body.text(),
        response.headers,
      );
    }
    const text = await response.body.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async discover(
    apiVersion: string,
  ): Promise<V1APIResource[] | undefined> {
    const context = this.configuration.baseServer.makeRequestContext(
      this.apiVersionPath(apiVersion),
      HttpMethod.GET,
    );
    context.setHeaderParam('Accept', 'application/json');
    try {
      const list = await this.requestPromise<V1APIResourceList & ClientObject>(
        context,
      );
      return list.resources.filter(r => !r.name.includes('/'));
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) {
        return undefined;
      }
      throw error;
    }
  }
}
