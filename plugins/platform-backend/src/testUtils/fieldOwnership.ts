/**
 * Field sets of server-side apply, simplified: a field is the path to a leaf of the applied
 * configuration, and lists are atomic (owned whole), which is how SSA treats lists without
 * merge keys. Enough to tell who owns what, find conflicts and drop fields a manager stopped
 * applying.
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

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    return isRecord(value) && Object.keys(value).length > 0
      ? leafPaths(value, path)
      : [path];
  });
}

export const pathKey = (path: FieldPath) => JSON.stringify(path);
export const parsePathKey = (key: string) => JSON.parse(key) as FieldPath;

export function getPath(object: unknown, path: FieldPath): unknown {
  let current = object;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function setPath(object: Json, path: FieldPath, value: unknown): void {
  let current = object;
  for (const key of path.slice(0, -1)) {
    if (!isRecord(current[key])) current[key] = {};
    current = current[key] as Json;
  }
  current[path[path.length - 1]] = structuredClone(value);
}

/** Removes a field, and the maps left empty above it. */
export function deletePath(object: Json, path: FieldPath): void {
  const parents: Json[] = [object];
  for (const key of path.slice(0, -1)) {
    const next = parents[parents.length - 1][key];
    if (!isRecord(next)) return;
    parents.push(next);
  }
  delete parents[parents.length - 1][path[path.length - 1]];
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]).length > 0) break;
    delete parents[i - 1][path[i - 1]];
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

/** A field set in the API's FieldsV1 form: `{"f:spec":{"f:replicas":{}}}`. */
export function fieldsV1(paths: FieldPath[]): Json {
  const root: Json = {};
  for (const path of paths) {
    let current = root;
    for (const key of path) {
      current[`f:${key}`] ??= {};
      current = current[`f:${key}`] as Json;
    }
  }
  return root;
}
