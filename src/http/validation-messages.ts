/** One error of the JSON Schema validator (Ajv), as Fastify hands it over. */
export type SchemaError = {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
};

const PART: Record<string, string> = { body: 'The body', querystring: 'The query string', params: 'The path', headers: 'The headers' };

/**
 * A validation error as a sentence that names the field ("name must be at most 100 characters."),
 * never a raw schema message: people read it in the portal and the CLI.
 */
export function describeValidationError(error: SchemaError, part: string): { field: string | null; message: string } {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const p = error.params;
  if (error.keyword === 'required') {
    const field = [path, String(p.missingProperty)].filter(Boolean).join('.');
    return { field, message: `${field} is required.` };
  }
  if (error.keyword === 'additionalProperties') {
    const field = [path, String(p.additionalProperty)].filter(Boolean).join('.');
    return { field, message: `${field} is not a field this request takes.` };
  }
  const subject = path || (PART[part] ?? 'The request');
  return { field: path || null, message: `${subject} ${rule(error)}.` };
}

function rule(error: SchemaError): string {
  const p = error.params;
  const plural = (n: unknown, one: string) => `${String(n)} ${one}${n === 1 ? '' : 's'}`;
  switch (error.keyword) {
    case 'type':
      return `must be ${article(String(p.type))}`;
    case 'minLength':
      return Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `must be at most ${plural(p.limit, 'character')} long`;
    case 'minimum':
      return `must be at least ${String(p.limit)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}`;
    case 'minItems':
      return `must list at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `must list at most ${plural(p.limit, 'item')}`;
    case 'uniqueItems':
      return 'must not list an item twice';
    case 'minProperties':
      return `must set at least ${plural(p.limit, 'field')}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'format':
      return p.format === 'date-time' ? 'must be a date and time in ISO 8601, e.g. 2027-01-15T00:00:00Z' : `must be a valid ${String(p.format)}`;
    case 'pattern':
      return 'is not in the expected format';
    default:
      return 'is not valid';
  }
}

function article(type: string): string {
  const names: Record<string, string> = { string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', object: 'an object', array: 'a list', null: 'null' };
  return type.split(',').map((t) => names[t] ?? t).join(' or ');
}
