import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import {
  deepEqual,
  deletePath,
  FieldPath,
  fieldsV1,
  formatPath,
  getPath,
  leafPaths,
  orderLikeConfig,
  parsePathKey,
  pathKey,
  setPath,
} from './fieldOwnership';
import { parseLabelSelector } from './labelSelector';
import {
  apiVersionOf,
  qualifiedPlural,
  RESOURCE_TYPES,
  ResourceType,
} from './resourceTypes';

type Json = Record<string, any>;

/** A request the server received, as it came. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
}

/** An object the server holds, and which manager owns which of its fields. */
interface Stored {
  type: ResourceType;
  object: Json;
  managers: Map<
    string,
    { operation: 'Apply' | 'Update'; fields: Set<string>; time: string }
  >;
}

/** What an injected failure does: answer with an error status, or drop the connection. */
export type InjectedFailure =
  | { status: number; reason: string; message: string }
  | { drop: true };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: Json,
  ) {
    super(message);
  }
}

/**
 * A Kubernetes API server in one process, for tests of what talks to clusters (the deploy
 * driver, through `@kubernetes/client-node`, and Backstage's Kubernetes plugin). It
 * implements the paths they use, with the API's shapes and status codes: discovery (`/api`,
 * `/api/v1`, `/apis`, `/apis/<group>/<version>`, which KubernetesObjectApi reads to find a
 * kind's plural), GET of an object, list in a namespace or in all namespaces with a label
 * selector, `limit` and `continue` (items without apiVersion and kind, as the API returns
 * them), server-side apply (`PATCH` with `application/apply-patch+yaml`, a `fieldManager`,
 * field ownership and 409 conflicts unless `force=true`; `dryRun=All` answers the merged object
 * and stores nothing), and DELETE (a Namespace takes its objects with it).
 *
 * Simplified: an apply body must be JSON (JSON is YAML, and client-node sends JSON; a real API
 * server also reads YAML); answers are always JSON whatever `Accept` asks; `fieldSelector`,
 * `propagationPolicy` and `gracePeriodSeconds` are ignored (a delete is immediate, with no
 * finalizers or garbage collector beyond a Namespace's objects); a `continue` token is an
 * offset into the list as it is now, not a consistent snapshot; there is no validation of
 * fields against a schema, so an unknown field is stored rather than refused.
 *
 * Apply merges lists as the API server does where the deploy driver applies them: containers,
 * volumes, a container's ports, env and volume mounts, and a Service's ports are merged item by
 * item by their keys (`name`; `containerPort` and `protocol`; ...), so a field another manager
 * set in one container stays, and conflicts name the item
 * (`.spec.template.spec.containers[name="vllm"].image`). Other lists are atomic. What is
 * merged how, and what is simplified, is in `fieldOwnership.ts`.
 *
 * It also defaults a few fields as the API server does (a Namespace's
 * `kubernetes.io/metadata.name` label, a Service's clusterIP and type, a Deployment's
 * revisionHistoryLimit and progressDeadlineSeconds), so that clients comparing their own
 * fields are tested against objects holding more than they sent. Workload controllers run
 * only when a test asks: a Deployment's status is what a test sets, or what
 * `rollOutDeployments` makes it.
 *
 * Every request is recorded; failures can be injected per request. Given a key and
 * certificate it serves HTTPS, for tests of how clients verify the API server.
 */
export class FakeKubernetesApiServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, Stored>();
  private readonly failures: Array<{
    matches: (request: RecordedRequest) => boolean;
    failure: InjectedFailure;
  }> = [];
  private readonly server: http.Server;
  private resourceVersion = 1000;
  private clusterIp = 10;

  /**
   * @param token - the bearer token every request must carry; none checks nothing.
   * @param tls - PEM key and certificate to serve HTTPS with; without them, plain HTTP.
   */
  constructor(
    private readonly options: {
      token?: string;
      tls?: { key: string; cert: string };
    } = {},
  ) {
    const handler: http.RequestListener = (req, res) => this.handle(req, res);
    this.server = options.tls
      ? https.createServer(options.tls, handler)
      : http.createServer(handler);
  }

  /** Listens on loopback, on `port` or, by default, on a free one. */
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  /**
   * Stores an object as another client would have written it (an update by `manager`, e.g.
   * `kubectl`, which then owns every field it set).
   */
  put(object: Json, manager = 'kubectl'): Json {
    const type = this.typeOf(object.apiVersion, object.kind);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    const stored: Stored = {
      type,
      object: structuredClone(object),
      managers: new Map(existing?.managers),
    };
    this.initialize(stored, existing?.object);
    stored.managers.set(manager, {
      operation: 'Update',
      fields: new Set(leafPaths(object).map(pathKey)),
      time: new Date().toISOString(),
    });
    this.renderManagedFields(stored);
    this.objects.set(key, stored);
    return structuredClone(stored.object);
  }

  /** The stored object, or undefined. */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Json | undefined {
    const type = this.typeOf(apiVersion, kind);
    const stored = this.objects.get(this.key(type, namespace, name));
    return stored && structuredClone(stored.object);
  }

  /** Every stored object, optionally of one kind. */
  list(kind?: string): Json[] {
    return [...this.objects.values()]
      .filter(s => !kind || s.type.kind === kind)
      .map(s => structuredClone(s.object));
  }

  /** Sets an object's status, as its controller would; not a change of its resourceVersion. */
  setStatus(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    status: Json,
  ): void {
    const type = this.typeOf(apiVersion, kind);
    const stored = this.objects.get(this.key(type, namespace, name));
    if (!stored) throw new Error(`No ${kind} ${namespace}/${name}`);
    stored.object.status = structuredClone(status);
  }

  /**
   * Plays a healthy autoscaler, Deployment controller, ReplicaSet controller and kubelet
   * once: every Deployment is scaled up to its HorizontalPodAutoscaler's minimum, and every
   * Deployment whose status lags its generation gets a ReplicaSet for that generation (the
   * previous one goes, with its pods) owning its desired replicas as Running, ready pods from
   * its pod template, and a status that reports them updated, ready and available. Call it
   * after an apply, or on a timer.
   */
  rollOutDeployments(): void {
    for (const listed of this.list('Deployment')) {
      const deployment = this.scaleToAutoscalerMinimum(listed);
      const { namespace, name, generation } = deployment.metadata;
      if (deployment.status?.observedGeneration === generation) continue;
      const replicas: number = deployment.spec?.replicas ?? 1;
      const template = deployment.spec?.template ?? {};
      const replicaSetName = `${name}-g${generation}`;
      // The previous generation's ReplicaSets, and their pods, by owner.
      const ownedBy = (uids: string[]) => (o: Json) =>
        (o.metadata.ownerReferences ?? []).some((r: Json) =>
          uids.includes(r.uid),
        );
      const oldReplicaSets = this.list('ReplicaSet')
        .filter(ownedBy([deployment.metadata.uid]))
        .map(r => r.metadata.uid);
      this.removeWhere(
        (o, kind) =>
          (kind === 'ReplicaSet' || kind === 'Pod') &&
          ownedBy([deployment.metadata.uid, ...oldReplicaSets])(o),
      );
      const replicaSet = this.put(
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: replicaSetName,
            namespace,
            labels: template.metadata?.labels,
            ownerReferences: [ownerReference(deployment)],
          },
          spec: { replicas, selector: deployment.spec?.selector, template },
          status: {
            observedGeneration: 1,
            replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
          },
        },
        'kube-controller-manager',
      );
      for (let i = 0; i < replicas; i += 1) {
        this.put(
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: `${replicaSetName}-${i}`,
              namespace,
              labels: template.metadata?.labels,
              ownerReferences: [ownerReference(replicaSet)],
            },
            spec: template.spec,
            status: {
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: (template.spec?.containers ?? []).map(
                (c: Json) => ({
                  name: c.name,
                  image: c.image,
                  ready: true,
                  started: true,
                  restartCount: 0,
                  state: { running: { startedAt: new Date().toISOString() } },
                }),
              ),
            },
          },
          'kubelet',
        );
      }
      this.setStatus('apps/v1', 'Deployment', namespace, name, {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
          },
        ],
      });
    }
  }

  /**
   * Fails the next request that `matches` (once), with an error status or a dropped
   * connection.
   */
  failNext(
    matches: (request: RecordedRequest) => boolean,
    failure: InjectedFailure,
  ): void {
    this.failures.push({ matches, failure });
  }

  /** Requests that changed something: PATCH, POST, PUT and DELETE, dry runs left out. */
  writes(): RecordedRequest[] {
    return this.requests.filter(
      r => r.method !== 'GET' && r.query.dryRun !== 'All',
    );
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text || undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Kept as text; apply answers 400 for it.
      }
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        body,
      };
      this.requests.push(request);

      const injected = this.failures.findIndex(f => f.matches(request));
      if (injected >= 0) {
        const [{ failure }] = this.failures.splice(injected, 1);
        if ('drop' in failure) {
          req.socket.destroy();
          return;
        }
        this.send(
          res,
          failure.status,
          statusObject(failure.status, failure.reason, failure.message),
        );
        return;
      }
      if (
        this.options.token &&
        req.headers.authorization !== `Bearer ${this.options.token}`
      ) {
        this.send(res, 401, statusObject(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      try {
        const [code, answer] = this.route(request);
        this.send(res, code, answer);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        this.send(
          res,
          error.status,
          statusObject(
            error.status,
            error.reason,
            error.message,
            error.details,
          ),
        );
      }
    });
  }

  private send(res: http.ServerResponse, code: number, body: unknown) {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private route(request: RecordedRequest): [number, unknown] {
    const { method, path } = request;
    if (method === 'GET' && path === '/api') {
      return [200, { kind: 'APIVersions', versions: ['v1'] }];
    }
    if (method === 'GET' && path === '/apis') {
      return [200, this.groupList()];
    }
    const match =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+)(?=\/))?(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(
        path,
      );
    if (!match)
      throw new HttpError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    const [, coreVersion, group = '', groupVersion, namespace, plural, name] =
      match;
    const version = coreVersion ?? groupVersion;
    const served = RESOURCE_TYPES.filter(
      t => t.group === group && t.version === version,
    );
    if (served.length === 0) {
      throw new HttpError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    if (!plural) {
      if (method !== 'GET')
        throw new HttpError(405, 'MethodNotAllowed', 'method not allowed');
      return [200, resourceList(apiVersionOf(served[0]), served)];
    }
    const type = served.find(t => t.plural === plural);
    if (!type) {
      throw new HttpError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    if (namespace !== undefined && !type.namespaced) {
      throw new HttpError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    if (!name) {
      if (method !== 'GET')
        throw new HttpError(405, 'MethodNotAllowed', 'method not allowed');
      return [200, this.listObjects(type, namespace, request.query)];
    }
    if (type.namespaced && namespace === undefined) {
      throw new HttpError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    switch (method) {
      case 'GET':
        return [200, this.read(type, namespace, name)];
      case 'PATCH':
        return this.apply(type, namespace, name, request);
      case 'DELETE':
        return [200, this.remove(type, namespace, name)];
      default:
        throw new HttpError(405, 'MethodNotAllowed', 'method not allowed');
    }
  }

  private read(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ) {
    const stored = this.objects.get(this.key(type, namespace, name));
    if (!stored) throw notFound(type, name);
    return stored.object;
  }

  private listObjects(
    type: ResourceType,
    namespace: string | undefined,
    query: Record<string, string>,
  ) {
    let matches: (labels: Record<string, string> | undefined) => boolean;
    try {
      matches = parseLabelSelector(query.labelSelector ?? '');
    } catch (error) {
      throw new HttpError(400, 'BadRequest', (error as Error).message);
    }
    const items = [...this.objects.values()]
      .filter(
        s =>
          s.type === type &&
          (namespace === undefined ||
            s.object.metadata.namespace === namespace) &&
          matches(s.object.metadata.labels),
      )
      .map(({ object: { apiVersion: _a, kind: _k, ...item } }) => item);
    const page = listPage(items.length, query);
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: {
        resourceVersion: String(this.resourceVersion),
        ...(page.next !== undefined
          ? { continue: continueToken(page.next) }
          : {}),
      },
      items: items.slice(page.start, page.end),
    };
  }

  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    request: RecordedRequest,
  ): [number, unknown] {
    // A media type may carry parameters (`; charset=utf-8`).
    const mediaType = request.contentType?.split(';')[0].trim();
    if (mediaType !== 'application/apply-patch+yaml') {
      throw new HttpError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml`,
      );
    }
    const manager = request.query.fieldManager;
    if (!manager) {
      throw new HttpError(
        400,
        'BadRequest',
        'fieldManager is required for apply requests',
      );
    }
    const config = request.body as Json;
    if (typeof config !== 'object' || config === null) {
      throw new HttpError(
        400,
        'BadRequest',
        'error decoding YAML: the apply patch is not an object',
      );
    }
    if (
      config.apiVersion !== apiVersionOf(type) ||
      config.kind !== type.kind ||
      config.metadata?.name !== name ||
      (type.namespaced &&
        (config.metadata?.namespace ?? namespace) !== namespace)
    ) {
      throw new HttpError(
        400,
        'BadRequest',
        `the apply patch's type, name or namespace does not match the request path ${request.path}`,
      );
    }
    if (
      type.namespaced &&
      !this.objects.has(
        this.key(this.typeOf('v1', 'Namespace'), undefined, namespace!),
      )
    ) {
      throw new HttpError(
        404,
        'NotFound',
        `namespaces "${namespace}" not found`,
        {
          name: namespace,
          kind: 'namespaces',
        },
      );
    }

    const key = this.key(type, namespace, name);
    const existing = this.objects.get(key);
    const applied = leafPaths(config);
    const appliedKeys = new Set(applied.map(pathKey));

    const conflicts: Array<{ manager: string; path: FieldPath }> = [];
    for (const [other, owned] of existing?.managers ?? []) {
      if (other === manager) continue;
      for (const path of applied) {
        if (
          owned.fields.has(pathKey(path)) &&
          !deepEqual(getPath(existing!.object, path), getPath(config, path))
        ) {
          conflicts.push({ manager: other, path });
        }
      }
    }
    const force = request.query.force === 'true';
    if (conflicts.length > 0 && !force) {
      throw conflictError(type, conflicts);
    }

    const stored: Stored = existing
      ? {
          ...existing,
          object: structuredClone(existing.object),
          managers: new Map(existing.managers),
        }
      : {
          type,
          object: {
            apiVersion: apiVersionOf(type),
            kind: type.kind,
            metadata: { name, ...(type.namespaced ? { namespace } : {}) },
          },
          managers: new Map(),
        };
    // Fields this manager applied before and no longer applies go, unless someone else owns them.
    for (const field of stored.managers.get(manager)?.fields ?? []) {
      if (appliedKeys.has(field)) continue;
      const ownedElsewhere = [...stored.managers].some(
        ([other, owned]) => other !== manager && owned.fields.has(field),
      );
      if (!ownedElsewhere) deletePath(stored.object, parsePathKey(field));
    }
    for (const path of applied)
      setPath(stored.object, path, getPath(config, path));
    orderLikeConfig(stored.object, config);
    if (force) {
      for (const { manager: other, path } of conflicts) {
        const owned = stored.managers.get(other)!;
        const fields = new Set(owned.fields);
        fields.delete(pathKey(path));
        stored.managers.set(other, { ...owned, fields });
      }
    }
    stored.managers.set(manager, {
      operation: 'Apply',
      fields: appliedKeys,
      time: new Date().toISOString(),
    });
    if (request.query.dryRun === 'All') {
      // Merged, defaulted and checked as a real apply, then dropped: no counter moves either.
      const counters = [this.resourceVersion, this.clusterIp];
      this.initialize(stored, existing?.object);
      this.renderManagedFields(stored);
      [this.resourceVersion, this.clusterIp] = counters;
      return [existing ? 200 : 201, stored.object];
    }
    this.initialize(stored, existing?.object);
    this.renderManagedFields(stored);
    this.objects.set(key, stored);
    return [existing ? 200 : 201, stored.object];
  }

  private remove(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ) {
    const key = this.key(type, namespace, name);
    const stored = this.objects.get(key);
    if (!stored) throw notFound(type, name);
    this.objects.delete(key);
    if (type.kind === 'Namespace') {
      for (const [other, object] of this.objects) {
        if (object.object.metadata.namespace === name)
          this.objects.delete(other);
      }
    }
    this.resourceVersion += 1;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: type.plural, uid: stored.object.metadata.uid },
    };
  }

  /**
   * What the API server adds: uid and creation time on create, defaults, and a new
   * resourceVersion (and generation, for a spec change) only when the object changed.
   */
  private initialize(stored: Stored, previous: Json | undefined) {
    const object = stored.object;
    const metadata = object.metadata;
    if (!previous) {
      metadata.uid = `uid-${stored.type.plural}-${this.resourceVersion + 1}`;
      metadata.creationTimestamp = new Date().toISOString();
    } else {
      metadata.uid = previous.metadata.uid;
      metadata.creationTimestamp = previous.metadata.creationTimestamp;
    }
    switch (stored.type.kind) {
      case 'Namespace':
        metadata.labels = {
          ...metadata.labels,
          'kubernetes.io/metadata.name': metadata.name,
        };
        object.spec ??= { finalizers: ['kubernetes'] };
        object.status ??= { phase: 'Active' };
        break;
      case 'Service':
        object.spec ??= {};
        object.spec.type ??= 'ClusterIP';
        object.spec.sessionAffinity ??= 'None';
        object.spec.clusterIP ??=
          previous?.spec?.clusterIP ?? `10.96.0.${(this.clusterIp += 1)}`;
        break;
      case 'Deployment':
        object.spec ??= {};
        // The API server's default; a Deployment under an HPA leaves it to the autoscaler.
        object.spec.replicas ??= previous?.spec?.replicas ?? 1;
        object.spec.revisionHistoryLimit ??= 10;
        object.spec.progressDeadlineSeconds ??= 600;
        break;
      default:
    }
    const strip = ({
      metadata: { resourceVersion, generation, managedFields, ...rest },
      ...o
    }: Json) => ({ ...o, metadata: rest });
    const changed = !previous || !deepEqual(strip(previous), strip(object));
    metadata.resourceVersion = changed
      ? String((this.resourceVersion += 1))
      : previous.metadata.resourceVersion;
    const specChanged = !previous || !deepEqual(previous.spec, object.spec);
    metadata.generation = specChanged
      ? (previous?.metadata.generation ?? 0) + 1
      : previous.metadata.generation;
  }

  private renderManagedFields(stored: Stored) {
    stored.object.metadata.managedFields = [...stored.managers]
      .filter(([, owned]) => owned.fields.size > 0)
      .map(([manager, owned]) => ({
        manager,
        operation: owned.operation,
        apiVersion: apiVersionOf(stored.type),
        time: owned.time,
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsV1([...owned.fields].map(parsePathKey)),
      }));
  }

  /**
   * What a HorizontalPodAutoscaler does first to the Deployment it targets: raise its
   * replicas to the autoscaler's minimum (a spec change, so a new generation).
   */
  private scaleToAutoscalerMinimum(deployment: Json): Json {
    const { namespace, name } = deployment.metadata;
    const autoscaler = this.list('HorizontalPodAutoscaler').find(
      h =>
        h.metadata.namespace === namespace &&
        h.spec?.scaleTargetRef?.kind === 'Deployment' &&
        h.spec.scaleTargetRef.name === name,
    );
    const minimum: number = autoscaler?.spec?.minReplicas ?? 1;
    if ((deployment.spec?.replicas ?? 1) >= minimum) return deployment;
    const stored = this.objects.get(
      this.key(this.typeOf('apps/v1', 'Deployment'), namespace, name),
    )!;
    stored.object.spec.replicas = minimum;
    stored.object.metadata.generation += 1;
    stored.object.metadata.resourceVersion = String(
      (this.resourceVersion += 1),
    );
    // The autoscaler now owns the field: an apply that sets it conflicts, as on a cluster.
    stored.managers.set('kube-controller-manager', {
      operation: 'Update',
      fields: new Set([pathKey(['spec', 'replicas'])]),
      time: new Date().toISOString(),
    });
    this.renderManagedFields(stored);
    return structuredClone(stored.object);
  }

  private removeWhere(matches: (object: Json, kind: string) => boolean) {
    for (const [key, stored] of this.objects) {
      if (matches(stored.object, stored.type.kind)) this.objects.delete(key);
    }
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const type = RESOURCE_TYPES.find(
      t => apiVersionOf(t) === apiVersion && t.kind === kind,
    );
    if (!type)
      throw new Error(`The fake API server serves no ${apiVersion} ${kind}`);
    return type;
  }

  private key(type: ResourceType, namespace: string | undefined, name: string) {
    return `${type.group}/${type.plural}/${
      type.namespaced ? namespace ?? 'default' : ''
    }/${name}`;
  }

  private groupList() {
    const groups = new Map<string, string[]>();
    for (const t of RESOURCE_TYPES) {
      if (!t.group) continue;
      groups.set(t.group, [
        ...new Set([...(groups.get(t.group) ?? []), t.version]),
      ]);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map(version => ({
          groupVersion: `${name}/${version}`,
          version,
        })),
        preferredVersion: {
          groupVersion: `${name}/${versions[0]}`,
          version: versions[0],
        },
      })),
    };
  }
}

/** Marks `owner` as the controller of an object, as Kubernetes' controllers do. */
function ownerReference(owner: Json): Json {
  return {
    apiVersion: owner.apiVersion ?? 'apps/v1',
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function statusObject(
  code: number,
  reason: string,
  message: string,
  details?: Json,
) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function notFound(type: ResourceType, name: string) {
  return new HttpError(
    404,
    'NotFound',
    `${qualifiedPlural(type)} "${name}" not found`,
    {
      name,
      group: type.group,
      kind: type.plural,
    },
  );
}

/**
 * The slice of a list that `limit` and `continue` ask for, and where the next page starts.
 * Simplified: a page is an offset into the list as it is now, not a consistent snapshot.
 */
function listPage(
  total: number,
  query: Record<string, string>,
): { start: number; end: number; next?: number } {
  let start = 0;
  if (query.continue) {
    start = Number(Buffer.from(query.continue, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) {
      throw new HttpError(
        400,
        'BadRequest',
        'the continue parameter is not a token this server gave',
      );
    }
  }
  const limit = query.limit ? Number(query.limit) : 0;
  if (!(limit > 0) || start + limit >= total) return { start, end: total };
  return { start, end: start + limit, next: start + limit };
}

/** An opaque continue token, as the API server gives one. */
function continueToken(offset: number): string {
  return Buffer.from(String(offset)).toString('base64url');
}

function resourceList(groupVersion: string, types: ResourceType[]) {
  return {
    kind: 'APIResourceList',
    groupVersion,
    resources: types.flatMap(t => [
      {
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      // Subresources share the kind; clients must not take them for the resource.
      {
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      },
    ]),
  };
}

/** The 409 of a server-side apply that would take fields from other managers, worded as the API server words it. */
function conflictError(
  type: ResourceType,
  conflicts: Array<{ manager: string; path: FieldPath }>,
) {
  const field = formatPath;
  const using = `using ${apiVersionOf(type)}`;
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: conflict with "${
          conflicts[0].manager
        }" ${using}: ${field(conflicts[0].path)}`
      : `Apply failed with ${conflicts.length} conflicts: ${conflicts
          .map(c => `conflict with "${c.manager}" ${using}: ${field(c.path)}`)
          .join('\n')}`;
  return new HttpError(409, 'Conflict', message, {
    causes: conflicts.map(c => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}" ${using}`,
      field: field(c.path),
    })),
  });
}
