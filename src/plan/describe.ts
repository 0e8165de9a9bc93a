// One line saying what a resolved step does, as `cutover plan` and the review comment show it.
import { shellQuote } from '../text/argv.js';
import type { ResolvedStep } from './resolve.js';

/** What a step does: its command as a shell would read it back, or what a built-in step checks. */
export function describeStep(step: ResolvedStep): string {
  if (step.uses === 'assert') return 'assert expectations';
  if (step.uses === 'determinism') return `rerun ${step.with.rerun.join(', ')} and compare ${step.with.paths.join(', ')}`;
  if (step.uses === 'snapshot') return `snapshot ${step.with.paths.join(', ')} as ${step.with.name}`;
  if (step.uses === 'restore') return `restore snapshot ${step.with.name}`;
  const c = step.command;
  if (!c) return '';
  return 'argv' in c ? c.argv.map(shellQuote).join(' ') : `${c.shell} -c ${shellQuote(c.script)}`;
}
