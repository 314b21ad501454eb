import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Every module the contract loads (type-only imports included) and every package it names. */
function closure(entry: string): { modules: string[]; packages: string[] } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  };
  visit(join(SRC, entry));
  return { modules: [...modules].map((m) => relative(SRC, m)).sort(), packages: [...packages].sort() };
}

describe('the contract module', () => {
  it('imports only typebox and the pure core: no Node built-in, no server module', () => {
    const { modules, packages } = closure('contract/index.ts');
    expect(packages).toEqual(['typebox']);
    expect(modules.filter((m) => !m.startsWith('contract/') && !m.startsWith('core/'))).toEqual([]);
    expect(modules).toContain('core/verify-codes.ts');
  });

  it('is what the portal’s types are made of', () => {
    const { modules, packages } = closure('../web/src/types.ts');
    expect(packages).toEqual(['typebox']);
    expect(modules.every((m) => m.startsWith('contract/') || m.startsWith('core/') || m.startsWith('../web/'))).toBe(true);
  });
});
