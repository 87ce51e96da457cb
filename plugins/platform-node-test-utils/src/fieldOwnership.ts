/**
 * Field sets of server-side apply: a field is the path to a leaf of the applied configuration.
 * Enough to tell who owns what, find conflicts and drop fields a manager stopped applying.
 *
 * Lists are merged as the API server merges them where the deploy driver applies them: the
 * lists the Kubernetes API declares as maps (`x-kubernetes-list-type: map`, keyed by
 * `x-kubernetes-list-map-keys`) are merged item by item, an item named by its keys as in
 * FieldsV1 (`k:{"name":"vllm"}`):
 *
 * - a pod spec's `containers`, `initContainers`, `ephemeralContainers`, `volumes` and
 *   `imagePullSecrets`: by `name`;
 * - a container's `ports`: by `containerPort` and `protocol`; its `env`: by `name`; its
 *   `volumeMounts`: by `mountPath`; its `volumeDevices`: by `devicePath`;
 * - a Service's `spec.ports`: by `port` and `protocol`.
 *
 * (`protocol` defaults to `TCP` in a key, as the API server defaults it.) Every other list is
 * atomic (owned whole), which is how SSA treats lists without merge keys, and so is a map list
 * whose items lack their keys (the API server would refuse it). A merged list holds the applied
 * items in the applied order, and the items only others own where they were. Simplified: sets
 * (`x-kubernetes-list-type: set`, e.g. `finalizers`) and `ownerReferences` are atomic here, and
 * only the lists above are known as maps (a pod spec is any `spec` that holds them).
 */

export type FieldPath = string[];
type Json = Record<string, unknown>;

/** Fields that name an object rather than belong to anyone. */
const IDENTITY = new Set([
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.namespace',
]);

const POD_SPEC_MAP_LISTS = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'volumes',
  'imagePullSecrets',
]);
const CONTAINER_LISTS = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
]);
const CONTAINER_MAP_LISTS: Record<string, string[]> = {
  ports: ['containerPort', 'protocol'],
  env: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
};
/** Key fields the API server defaults before it merges. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isItemSegment = (segment: string) => segment.startsWith('k:');

/**
 * The map keys of the list at `path`, or undefined for an atomic list. The list is known by
 * where it sits: a pod spec is any `spec` holding containers (a Pod's, a template's).
 */
export function listMapKeys(path: FieldPath): string[] | undefined {
  const [name, parent, grandparent] = [...path].reverse();
  if (parent !== undefined && isItemSegment(parent)) {
    return CONTAINER_LISTS.has(grandparent)
      ? CONTAINER_MAP_LISTS[name]
      : undefined;
  }
  if (parent === 'spec' && POD_SPEC_MAP_LISTS.has(name)) return ['name'];
  if (path.length === 2 && parent === 'spec' && name === 'ports') {
    return ['port', 'protocol'];
  }
  return undefined;
}

/** The FieldsV1 name of a list item: `k:{"containerPort":8000,"protocol":"TCP"}`. */
function itemSegment(item: unknown, keys: string[]): string | undefined {
  if (!isRecord(item)) return undefined;
  const values: Json = {};
  for (const key of keys) {
    const value = item[key] ?? KEY_DEFAULTS[key];
    if (value === undefined) return undefined;
    values[key] = value;
  }
  return `k:${JSON.stringify(values)}`;
}

function itemKeys(segment: string): Json {
  return JSON.parse(segment.slice(2)) as Json;
}

function findItemIndex(list: unknown[], segment: string): number {
  const wanted = Object.entries(itemKeys(segment));
  return list.findIndex(
    item =>
      isRecord(item) &&
      wanted.every(
        ([key, value]) => (item[key] ?? KEY_DEFAULTS[key]) === value,
      ),
  );
}

/** The keys of the items of `list` at `path`, when it is merged item by item. */
function mapListKeys(list: unknown[], path: FieldPath): string[] | undefined {
  const keys = listMapKeys(path);
  if (!keys || list.length === 0) return undefined;
  const segments = list.map(item => itemSegment(item, keys));
  if (segments.some(s => s === undefined)) return undefined;
  return new Set(segments).size === segments.length ? keys : undefined;
}

export function leafPaths(object: Json, prefix: FieldPath = []): FieldPath[] {
  return Object.entries(object).flatMap(([key, value]) => {
    const path = [...prefix, key];
    if (IDENTITY.has(path.join('.'))) return [];
    if (
      prefix.length === 1 &&
      prefix[0] === 'metadata' &&
      key === 'managedFields'
    )
      return [];
    if (path.length === 1 && key === 'status') return [];
    return valuePaths(value, path);
  });
}

function valuePaths(value: unknown, path: FieldPath): FieldPath[] {
  if (isRecord(value) && Object.keys(value).length > 0) {
    return leafPaths(value, path);
  }
  if (Array.isArray(value)) {
    const keys = mapListKeys(value, path);
    if (keys) {
      return value.flatMap(item => {
        const itemPath = [...path, itemSegment(item, keys)!];
        const paths = leafPaths(item as Json, itemPath);
        return paths.length > 0 ? paths : [itemPath];
      });
    }
  }
  return [path];
}

export const pathKey = (path: FieldPath) => JSON.stringify(path);
export const parsePathKey = (key: string) => JSON.parse(key) as FieldPath;

/** A field as the API server names it in a conflict: `.spec.containers[name="vllm"].image`. */
export function formatPath(path: FieldPath): string {
  return path
    .map(segment =>
      isItemSegment(segment)
        ? `[${Object.entries(itemKeys(segment))
            .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
            .join(',')}]`
        : `.${segment}`,
    )
    .join('');
}

function child(container: unknown, segment: string): unknown {
  if (Array.isArray(container) && isItemSegment(segment)) {
    return container[findItemIndex(container, segment)];
  }
  return isRecord(container) ? container[segment] : undefined;
}

export function getPath(object: unknown, path: FieldPath): unknown {
  let current = object;
  for (const segment of path) {
    current = child(current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

export function setPath(object: Json, path: FieldPath, value: unknown): void {
  let current: Json | unknown[] = object;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i];
    if (Array.isArray(current)) {
      const list: unknown[] = current;
      let item = list[findItemIndex(list, segment)];
      if (!isRecord(item)) {
        item = { ...itemKeys(segment) };
        list.push(item);
      }
      current = item as Json;
      continue;
    }
    const record: Json = current;
    const wantsList = isItemSegment(path[i + 1]);
    if (
      wantsList ? !Array.isArray(record[segment]) : !isRecord(record[segment])
    )
      record[segment] = wantsList ? [] : {};
    current = record[segment] as Json | unknown[];
  }
  const last = path[path.length - 1];
  if (Array.isArray(current)) {
    const index = findItemIndex(current, last);
    if (index >= 0) current[index] = structuredClone(value);
    else current.push(structuredClone(value));
  } else current[last] = structuredClone(value);
}

/** Whether nothing is left of a value once a field below it went. */
function isEmpty(value: unknown, segment: string): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (!isRecord(value)) return false;
  // A list item is gone when only its keys are left.
  const keys = isItemSegment(segment) ? Object.keys(itemKeys(segment)) : [];
  return Object.keys(value).every(key => keys.includes(key));
}

function removeChild(container: unknown, segment: string): void {
  if (Array.isArray(container)) {
    const index = findItemIndex(container, segment);
    if (index >= 0) container.splice(index, 1);
  } else if (isRecord(container)) delete container[segment];
}

/**
 * Removes a field, and what is left empty above it: maps, list items with nothing but their
 * keys, lists. A list item's key stays while other fields of the item do.
 */
export function deletePath(object: Json, path: FieldPath): void {
  const containers: unknown[] = [object];
  for (const segment of path.slice(0, -1)) {
    const next = child(containers[containers.length - 1], segment);
    if (typeof next !== 'object' || next === null) return;
    containers.push(next);
  }
  const last = path[path.length - 1];
  const parentSegment = path[path.length - 2];
  const holder = containers[containers.length - 1];
  const isKeyOfItem =
    parentSegment !== undefined &&
    isItemSegment(parentSegment) &&
    last in itemKeys(parentSegment);
  if (!isKeyOfItem) removeChild(holder, last);
  for (let i = containers.length - 1; i > 0; i--) {
    if (!isEmpty(containers[i], path[i - 1])) break;
    removeChild(containers[i - 1], path[i - 1]);
  }
}

/**
 * Orders the map lists of `object` that `config` holds as the API server orders a merge: the
 * applied items in the applied order, and the items only others own where they were, relative
 * to the items around them.
 */
export function orderLikeConfig(
  object: Json,
  config: Json,
  prefix: FieldPath = [],
): void {
  for (const [key, value] of Object.entries(config)) {
    const path = [...prefix, key];
    const target = object[key];
    if (isRecord(value) && isRecord(target)) {
      orderLikeConfig(target, value, path);
    } else if (Array.isArray(value) && Array.isArray(target)) {
      const keys = mapListKeys(value, path);
      if (!keys) continue;
      const applied = value.map(item => itemSegment(item, keys)!);
      const byApplied = new Set(applied);
      const ordered: unknown[] = [];
      const placed = new Set<string | undefined>();
      let live = 0;
      let next = 0;
      while (live < target.length || next < applied.length) {
        if (live < target.length) {
          const segment = itemSegment(target[live], keys);
          if (segment !== undefined && placed.has(segment)) {
            live += 1;
            continue;
          }
          if (segment === undefined || !byApplied.has(segment)) {
            ordered.push(target[live]);
            live += 1;
            continue;
          }
        }
        if (next < applied.length) {
          const index = findItemIndex(target, applied[next]);
          if (index >= 0) ordered.push(target[index]);
          placed.add(applied[next]);
          next += 1;
        } else live += 1;
      }
      target.splice(0, target.length, ...ordered);
      value.forEach((item, i) => {
        const stored = target[findItemIndex(target, applied[i])];
        if (isRecord(stored)) {
          orderLikeConfig(stored, item as Json, [...path, applied[i]]);
        }
      });
    }
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map(key => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

/**
 * A field set in the API's FieldsV1 form: `{"f:spec":{"f:replicas":{}}}`, a list item as
 * `{"k:{\"name\":\"vllm\"}":{".":{},"f:image":{}}}`.
 */
export function fieldsV1(paths: FieldPath[]): Json {
  const root: Json = {};
  for (const path of paths) {
    let current = root;
    for (const segment of path) {
      if (isItemSegment(segment)) {
        current[segment] ??= { '.': {} };
        current = current[segment] as Json;
      } else {
        current[`f:${segment}`] ??= {};
        current = current[`f:${segment}`] as Json;
      }
    }
  }
  return root;
}
