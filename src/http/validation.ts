import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

/**
 * Two validators: query strings and path parameters arrive as text, so they are coerced
 * (`?limit=20`, repeated `?scope=`); JSON bodies are taken as sent, so `{"name": ["a"]}` is a
 * 400 rather than silently becoming "a".
 */
const bodies = addFormats(new Ajv({ ...common, coerceTypes: false }));
const texts = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodies : texts;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};
