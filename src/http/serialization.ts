import { SerializerSelector, type SerializerFactory, type Serializer } from '@fastify/fast-json-stringify-compiler';

const compile = SerializerSelector();

/**
 * Compiled serializers are pure functions of their schemas, so one process keeps one per distinct
 * schema: compiling them (fast-json-stringify) is most of what building an app costs, and the
 * tests and benchmarks build hundreds of apps from the same schemas.
 */
const compiled = new Map<string, Serializer>();

/** Fastify's own response serializer factory, memoized (`schemaController.compilersFactory.buildSerializer`). */
export const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  const build = compile(externalSchemas, options);
  const context = JSON.stringify([externalSchemas, options]);
  return (route) => {
    const key = `${context}\n${JSON.stringify(route.schema)}`;
    let serializer = compiled.get(key);
    if (!serializer) compiled.set(key, (serializer = build(route)));
    return serializer;
  };
};
