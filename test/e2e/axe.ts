import { AxeBuilder } from '@axe-core/playwright';
import axe, { type Result } from 'axe-core';
import type { Page } from 'playwright-core';

/** The conformance level issue 10 holds the portal to: WCAG 2.1, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Every axe rule for those levels by id. Running by tag would skip the ones axe still calls
 * experimental, and those include label-content-name-mismatch (WCAG 2.5.3) and td-has-header;
 * deprecated rules are left out, as axe itself does.
 */
const WCAG_RULES = axe
  .getRules(WCAG_TAGS)
  .filter((rule) => !rule.tags.includes('deprecated'))
  .map((rule) => rule.ruleId);

function describeViolation(violation: Result): string {
  const nodes = violation.nodes.map((node) => `    at ${node.target.flat().join(' ')}\n       ${node.html.slice(0, 200)}`);
  return `  ${violation.id} (${violation.impact ?? 'no impact'}): ${violation.help}\n${nodes.join('\n')}`;
}

/** Runs axe-core on what `page` shows now and fails on any violation, naming the rule and the elements. */
export async function expectNoAxeViolations(page: Page, context: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withRules(WCAG_RULES).analyze();
  if (violations.length === 0) return;
  throw new Error(`axe-core found ${violations.length} WCAG 2.1 AA violation(s) on ${context}:\n${violations.map(describeViolation).join('\n')}`);
}
