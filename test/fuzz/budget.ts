/**
 * How hard the fuzz suites push. `npm test` runs each property with the count it names (thousands
 * of inputs in all, a few seconds); `npm run fuzz` sets FUZZ_RUNS to run every property that many
 * times instead, with the test timeouts to match. A failure prints fast-check's seed and path:
 * rerun with FUZZ_SEED=<seed> to replay it.
 */
const configured = Number(process.env.FUZZ_RUNS);
const override = Number.isInteger(configured) && configured > 0 ? configured : null;

export function runs(inCi: number): number {
  return override ?? inCi;
}

/** The `it` timeout: the suite default in CI, an hour for a long run. */
export const FUZZ_TIMEOUT = override === null ? 30_000 : 60 * 60_000;

const seed = Number(process.env.FUZZ_SEED);
/** fast-check parameters for one property: its runs, and the seed to replay when given. */
export function params(inCi: number): { numRuns: number; seed?: number } {
  return { numRuns: runs(inCi), ...(Number.isInteger(seed) ? { seed } : {}) };
}

/** Fails when one call takes longer than `ms`: no input may make a parser hang. */
export function bounded<T>(ms: number, label: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const took = performance.now() - start;
  if (took > ms) throw new Error(`${label} took ${took.toFixed(1)} ms (> ${ms} ms)`);
  return result;
}
