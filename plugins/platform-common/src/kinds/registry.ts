import { z } from 'zod';
import { agentEntitySchema, agentSpecSchema } from './agent';
import { cellEntitySchema, cellSpecSchema } from './cell';
import { PLATFORM_API_VERSION } from './common';
import {
  inferenceDeploymentEntitySchema,
  inferenceDeploymentSpecSchema,
} from './inferenceDeployment';
import {
  modelProfileEntitySchema,
  modelProfileSpecSchema,
} from './modelProfile';
import { tenantEntitySchema, tenantSpecSchema } from './tenant';

/** Every platform kind with its entity and spec schema: the one source of each kind's shape. */
export const PLATFORM_KINDS = {
  Tenant: { entity: tenantEntitySchema, spec: tenantSpecSchema },
  Cell: { entity: cellEntitySchema, spec: cellSpecSchema },
  Agent: { entity: agentEntitySchema, spec: agentSpecSchema },
  ModelProfile: {
    entity: modelProfileEntitySchema,
    spec: modelProfileSpecSchema,
  },
  InferenceDeployment: {
    entity: inferenceDeploymentEntitySchema,
    spec: inferenceDeploymentSpecSchema,
  },
} as const;

export type PlatformKind = keyof typeof PLATFORM_KINDS;
export const platformKinds = Object.keys(PLATFORM_KINDS) as PlatformKind[];

export function isPlatformKind(kind: unknown): kind is PlatformKind {
  return typeof kind === 'string' && Object.hasOwn(PLATFORM_KINDS, kind);
}

/** True for an entity of one of the platform kinds at the platform's API version. */
export function isPlatformEntity(entity: {
  apiVersion?: unknown;
  kind?: unknown;
}): boolean {
  return (
    entity.apiVersion === PLATFORM_API_VERSION && isPlatformKind(entity.kind)
  );
}

/** One thing wrong with an entity: the dotted path of the field and what is wrong with it. */
export interface PlatformValidationIssue {
  path: string;
  message: string;
}

/** Dotted path of a zod issue, e.g. `spec.slos[0].target`. */
function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

function formatMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(' | ')}`;
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : issue.message;
    case 'unrecognized_keys':
      return `unknown field${
        issue.keys.length > 1 ? 's' : ''
      } ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** Turns a zod error into issues that name the field and what is wrong. */
export function toValidationIssues(
  error: z.ZodError,
): PlatformValidationIssue[] {
  return error.issues.map(issue => ({
    path: formatPath(issue.path),
    message: formatMessage(issue),
  }));
}

/** `spec.isolation: expected one of dedicated | shared | customer-vpc; spec.tier: ...` */
export function formatValidationIssues(
  issues: PlatformValidationIssue[],
): string {
  return issues
    .map(i => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}

export type PlatformValidationResult<K extends PlatformKind> =
  | { ok: true; entity: z.infer<(typeof PLATFORM_KINDS)[K]['entity']> }
  | { ok: false; issues: PlatformValidationIssue[] };

/**
 * Validates an entity of a platform kind against its schema, returning the parsed entity with
 * defaults applied, or every issue found.
 */
export function validatePlatformEntity<K extends PlatformKind>(
  kind: K,
  entity: unknown,
): PlatformValidationResult<K> {
  // With the input on each issue, a missing field ("is required") reads apart from a wrong one.
  const result = PLATFORM_KINDS[kind].entity.safeParse(entity, {
    reportInput: true,
  });
  if (result.success) {
    return {
      ok: true,
      entity: result.data as z.infer<(typeof PLATFORM_KINDS)[K]['entity']>,
    };
  }
  return { ok: false, issues: toValidationIssues(result.error) };
}

/**
 * JSON Schema (draft 2020-12) of a kind's spec, as a form or an external validator sees it:
 * fields with defaults are optional.
 */
export function platformSpecJsonSchema(
  kind: PlatformKind,
): Record<string, unknown> {
  return z.toJSONSchema(PLATFORM_KINDS[kind].spec, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}

/** JSON Schema of a whole entity of the kind, envelope included. */
export function platformEntityJsonSchema(
  kind: PlatformKind,
): Record<string, unknown> {
  return z.toJSONSchema(PLATFORM_KINDS[kind].entity, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}
