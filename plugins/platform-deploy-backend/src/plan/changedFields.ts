/** Fields of an object that name it or that the cluster writes: never compared. */
const IDENTITY_AND_STATUS = new Set(['apiVersion', 'kind', 'status']);
const METADATA_WE_SET = ['labels', 'annotations'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldPath(parent: string, key: string): string {
  const segment = /^[A-Za-z_$][\w$]*$/.test(key)
    ? key
    : `[${JSON.stringify(key)}]`;
  if (!parent) return segment;
  return segment.startsWith('[')
    ? `${parent}${segment}`
    : `${parent}.${segment}`;
}

function diff(rendered: unknown, live: unknown, path: string): string[] {
  if (isRecord(rendered)) {
    if (!isRecord(live)) return [path];
    return Object.entries(rendered).flatMap(([key, value]) =>
      diff(value, live[key], fieldPath(path, key)),
    );
  }
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return [path];
    return rendered.flatMap((value, i) =>
      diff(value, live[i], `${path}[${i}]`),
    );
  }
  return rendered === live ? [] : [path];
}

/**
 * The fields we render whose live value differs, as paths (`spec.replicas`,
 * `metadata.labels["app.kubernetes.io/component"]`, `spec.template.spec.containers[0].image`).
 *
 * Only what we render is compared: fields the API server defaults (a Service's clusterIP, a
 * container's terminationMessagePath), other field managers' fields and `status` do not make an
 * object changed. Within a list, items are compared by position, and a list of another length
 * is one changed field. Empty: the live object already holds what we would apply.
 */
export function changedFields(
  rendered: Record<string, unknown>,
  live: Record<string, unknown>,
): string[] {
  const renderedMetadata = (rendered.metadata ?? {}) as Record<string, unknown>;
  const liveMetadata = (live.metadata ?? {}) as Record<string, unknown>;
  return [
    ...METADATA_WE_SET.filter(
      key => renderedMetadata[key] !== undefined,
    ).flatMap(key =>
      diff(renderedMetadata[key], liveMetadata[key], `metadata.${key}`),
    ),
    ...Object.entries(rendered)
      .filter(([key]) => key !== 'metadata' && !IDENTITY_AND_STATUS.has(key))
      .flatMap(([key, value]) => diff(value, live[key], key)),
  ];
}

/** Metadata the API server keeps for itself: it changes with every write, not with intent. */
const SERVER_BOOKKEEPING = new Set([
  'resourceVersion',
  'generation',
  'managedFields',
  'uid',
  'creationTimestamp',
]);

function fullDiff(after: unknown, before: unknown, path: string): string[] {
  if (isRecord(after) && isRecord(before)) {
    const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
    return [...keys].flatMap(key =>
      fullDiff(after[key], before[key], fieldPath(path, key)),
    );
  }
  if (Array.isArray(after) && Array.isArray(before)) {
    if (after.length !== before.length) return [path];
    return after.flatMap((value, i) =>
      fullDiff(value, before[i], `${path}[${i}]`),
    );
  }
  return after === before ? [] : [path];
}

/**
 * What an apply would change: the fields in which the object as a server-side dry-run apply
 * left it differs from the live one. The API server has merged lists by key, defaulted and
 * normalised values (`cpu: 1000m` is `1`) in both, so only a real change shows; its own
 * bookkeeping (`resourceVersion`, `managedFields`, ...) and `status` are not compared.
 */
export function appliedChanges(
  dryRun: Record<string, unknown>,
  live: Record<string, unknown>,
): string[] {
  const withoutBookkeeping = (object: Record<string, unknown>) => {
    const { status, ...rest } = object;
    const metadata = Object.fromEntries(
      Object.entries((object.metadata ?? {}) as Record<string, unknown>).filter(
        ([key]) => !SERVER_BOOKKEEPING.has(key),
      ),
    );
    return { ...rest, metadata };
  };
  return fullDiff(withoutBookkeeping(dryRun), withoutBookkeeping(live), '');
}
