import type { z as zod } from 'zod/v3';
import { toJSONSchema, type output, type ZodType } from 'zod';

type JsonSchema = {
  type?: string;
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  minItems?: number;
};

function scaffolderSchemaOf(z: typeof zod, schema: JsonSchema): zod.ZodTypeAny {
  if (schema.enum) return z.enum(schema.enum as [string, ...string[]]);
  switch (schema.type) {
    case 'string': {
      let s = z.string();
      if (schema.minLength !== undefined) s = s.min(schema.minLength);
      if (schema.maxLength !== undefined) s = s.max(schema.maxLength);
      if (schema.pattern !== undefined) s = s.regex(new RegExp(schema.pattern));
      return s;
    }
    case 'number':
    case 'integer': {
      let n = schema.type === 'integer' ? z.number().int() : z.number();
      if (schema.minimum !== undefined) n = n.min(schema.minimum);
      if (schema.exclusiveMinimum !== undefined)
        n = n.gt(schema.exclusiveMinimum);
      if (schema.maximum !== undefined) n = n.max(schema.maximum);
      if (schema.exclusiveMaximum !== undefined)
        n = n.lt(schema.exclusiveMaximum);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'array': {
      const items = z.array(scaffolderSchemaOf(z, schema.items ?? {}));
      return schema.minItems !== undefined ? items.min(schema.minItems) : items;
    }
    default:
      throw new Error(
        `No scaffolder input schema for ${JSON.stringify(schema)}`,
      );
  }
}

/**
 * A piece of the platform's kind schemas (an enum, a bounded number, a DNS label) as an input
 * schema of a scaffolder action. The kinds are written in zod 4, the scaffolder reads zod 3
 * and checks a run's input against the JSON Schema it makes of it; both meet in JSON Schema, so
 * an action's input takes its enums and bounds from the kinds instead of restating them. Only
 * the fragments' own constraints travel: refinements across fields stay with the entity
 * validation the action runs.
 */
export function platformSchema<S extends ZodType>(
  z: typeof zod,
  schema: S,
): zod.ZodType<output<S>> {
  return scaffolderSchemaOf(z, toJSONSchema(schema, { io: 'input' }) as any);
}
