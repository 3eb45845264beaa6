/**
 * JSON-mode answers. With a json_schema response format the answer follows the schema's shape (objects,
 * arrays, enums, consts, primitive types), so a caller's schema validator accepts a healthy answer and only
 * the injected faults fail it.
 */

type Schema = Record<string, unknown>;

const MAX_DEPTH = 8;

export function jsonAnswer(text: string, schema?: unknown): string {
  if (!isSchema(schema)) return JSON.stringify({ answer: text });
  return JSON.stringify(sample(schema, text, 0));
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sample(schema: Schema, text: string, depth: number): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && isSchema(variants[0])) return sample(variants[0], text, depth);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') ?? 'null' : schema.type;
  if (depth >= MAX_DEPTH) return null;
  switch (type) {
    case 'string':
      return text;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 42;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const min = typeof schema.minItems === 'number' ? Math.min(schema.minItems, 10) : 1;
      return isSchema(schema.items) ? Array.from({ length: min }, () => sample(schema.items as Schema, text, depth + 1)) : [];
    }
    default: {
      if (!isSchema(schema.properties)) return type === 'object' ? {} : text;
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties)) out[key] = isSchema(sub) ? sample(sub, text, depth + 1) : text;
      return out;
    }
  }
}
