import { isObject, Json } from '../fieldChecks';

/** Keywords strict mode cannot take: a schema holding one stays as given, non-strict. */
const NOT_STRICT = [
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
];

/** Where subschemas sit: one schema, or an array or a map of them. */
const ONE = ['items', 'additionalItems'];
const MANY = ['prefixItems', 'anyOf', 'oneOf'];
const MAP = ['properties', '$defs', 'definitions'];

/** Far more than any real tool takes: a bigger schema stays as given. */
const MAX_SCHEMAS = 5_000;

export interface StrictParameters {
  schema: Json;
  /** JSON text the normalization added: the prompt's token bound grows by as much. */
  addedBytes: number;
}

/**
 * A function tool's parameters as OpenAI's Responses API takes them when the tool leaves
 * `strict` out: normalized to strict mode, every object closed (`additionalProperties:
 * false`) with all its properties required. Undefined when the schema has what strict mode
 * cannot take (a root that is not an object, additional properties allowed, `allOf`, …):
 * the tool then goes as given, not strict. The caller's schema is not changed.
 */
export function strictParameters(
  parameters: unknown,
): StrictParameters | undefined {
  const schema = parameters === undefined ? {} : copy(parameters);
  if (!isObject(schema)) return undefined;
  let addedBytes = parameters === undefined ? ',"parameters":{}'.length : 0;
  if (schema.type === undefined) {
    schema.type = 'object';
    addedBytes += ',"type":"object"'.length;
  }
  if (schema.type !== 'object') return undefined;
  // An explicit stack: the schema is the caller's, its depth theirs to choose.
  const pending: Json[] = [schema];
  for (let visited = 0; pending.length > 0; visited++) {
    if (visited >= MAX_SCHEMAS) return undefined;
    const node = pending.pop()!;
    if (NOT_STRICT.some(keyword => node[keyword] !== undefined)) {
      return undefined;
    }
    if (isObjectSchema(node)) {
      const added = close(node);
      if (added < 0) return undefined;
      addedBytes += added;
    }
    const under: unknown[] = [];
    for (const key of ONE) under.push(node[key]);
    for (const key of MANY) {
      if (Array.isArray(node[key])) {
        // Checked before they are gathered: none may go unwalked, and spreading a huge
        // array would overflow the stack.
        if (node[key].length > MAX_SCHEMAS) return undefined;
        under.push(...node[key]);
      }
    }
    for (const key of MAP) {
      if (isObject(node[key])) {
        const values = Object.values(node[key]);
        if (values.length > MAX_SCHEMAS) return undefined;
        under.push(...values);
      }
    }
    if (visited + pending.length + under.length > MAX_SCHEMAS) return undefined;
    for (const subschema of under) {
      if (isObject(subschema)) pending.push(subschema);
    }
  }
  return { schema, addedBytes };
}

function isObjectSchema(node: Json): boolean {
  const type = node.type;
  return (
    type === 'object' ||
    (Array.isArray(type) && type.includes('object')) ||
    (type === undefined && isObject(node.properties))
  );
}

/**
 * Closes an object schema and requires all its properties; returns the bytes that added,
 * or -1 when it allows properties beyond its own.
 */
function close(node: Json): number {
  let added = 0;
  if (node.additionalProperties === undefined) {
    node.additionalProperties = false;
    added += ',"additionalProperties":false'.length;
  } else if (node.additionalProperties !== false) {
    return -1;
  }
  if (!isObject(node.properties)) {
    node.properties = {};
    added += ',"properties":{}'.length;
  }
  const names = Object.keys(node.properties);
  node.required = names;
  // UTF-8 bytes, as the prompt bound counts them: a name may be CJK or emoji.
  added += Buffer.byteLength(JSON.stringify(names)) + ',"required":'.length;
  return added;
}

/** A deep copy of JSON the gateway parsed (its nesting already bounded by the body check). */
function copy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
