// One line saying what a resolved step does, as `cutover plan` and the review comment show it.
import { shellQuote } from '../text/argv.js';
import { MASK } from '../text/mask.js';
import type { ResolvedStep } from './resolve.js';

/** What a step does: its command as a shell would read it back, or what a built-in step checks. */
export function describeStep(step: ResolvedStep): string {
  if (step.uses === 'assert') return 'assert expectations';
  if (step.uses === 'determinism') return `rerun ${step.with.rerun.join(', ')} and compare ${step.with.paths.join(', ')}`;
  if (step.uses === 'snapshot') return `snapshot ${step.with.paths.join(', ')} as ${step.with.name}`;
  if (step.uses === 'restore') return `restore snapshot ${step.with.name}`;
  const c = step.command;
  if (!c) return '';
  return 'argv' in c ? c.argv.map(quoteWord).join(' ') : `${c.shell} -c ${quoteWord(c.script)}`;
}

// A masked value shows as *** between its quoted neighbours, as the run's logs show it.
function quoteWord(word: string): string {
  if (!word.includes(MASK)) return shellQuote(word);
  return word
    .split(MASK)
    .map((part) => (part === '' ? '' : shellQuote(part)))
    .join(MASK);
}

/** What a step's `expect` checks, one short phrase each (the exit code only for commands). */
export function describeExpectations(step: ResolvedStep): string[] {
  const e = step.expect;
  const out: string[] = [];
  if (step.command) out.push(`exit ${e.exitCode.join(' or ')}`);
  if (e.exists.length) out.push(`exists ${e.exists.join(', ')}`);
  if (e.absent.length) out.push(`absent ${e.absent.join(', ')}`);
  for (const j of e.json) {
    const [op, value] = 'equals' in j ? ['=', j.equals] : 'lte' in j ? ['<=', j.lte] : 'gte' in j ? ['>=', j.gte] : ['in', j.in];
    out.push(`${j.file}: ${j.path} ${op} ${JSON.stringify(value)}`);
  }
  if (e.stdout !== undefined) out.push(`stdout matches /${e.stdout}/`);
  return out;
}
