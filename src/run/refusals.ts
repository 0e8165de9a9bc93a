// What preflight would refuse, said ahead of time from what is known before a run: the plan's own
// problems, the freeze gate's verdict, a committed record, and the conditions that hold at run time only.
import type { ErrorCode, Problem } from '../errors.js';
import type { GateVerdict } from '../integrity/freeze-gate.js';
import type { ResolvedPlan } from '../plan/resolve.js';

/** One reason `cutover run` would refuse; `now` when it holds as things are, else a standing condition. */
export interface Refusal {
  code: ErrorCode;
  now: boolean;
  message: string;
}

/** What is known about a plan before it runs. */
export interface RefusalFacts {
  /** Problems of the plan itself (invalid, or a run id or record folder that cannot be used). */
  problems: readonly Problem[];
  verdict?: GateVerdict;
  resolved?: ResolvedPlan;
  /** A fixed run id whose record is already committed. */
  recordExists?: boolean;
}

/** Every refusal that applies, those that hold now first, in the order preflight checks them. */
export function refusalsOf(facts: RefusalFacts): Refusal[] {
  const found: Refusal[] = facts.problems.map((p) => ({ code: p.code, now: true, message: p.message }));
  const { verdict, resolved } = facts;
  if (verdict && !verdict.frozen) {
    const files = new Set(verdict.drift.map((d) => d.path)).size;
    found.push({
      code: 'REGISTRY_UNFROZEN',
      now: true,
      message: verdict.lock
        ? `${files === 1 ? '1 file differs' : `${files} files differ`} from the committed lock`
        : 'there is no lock: the plan was never frozen',
    });
  } else if (verdict && !verdict.approved) {
    const { required, valid } = verdict.approvals;
    found.push({
      code: 'APPROVAL_MISSING',
      now: true,
      message: `it needs ${required} approval${required === 1 ? '' : 's'} of the current freeze digest by someone other than the one who froze it; ${valid.length} count`,
    });
  }
  if (facts.recordExists && resolved)
    found.push({
      code: 'RECORD_EXISTS',
      now: true,
      message: `the record ${resolved.record.dir} is already committed, and the plan fixes its run id`,
    });
  found.push({
    code: 'NOT_MERGED',
    now: false,
    message: 'with --require-merged REF (execute-plan.yml passes origin/main): until the plan and its lock are merged there, byte for byte',
  });
  if (resolved?.window) {
    const { notBefore, notAfter } = resolved.window;
    const bounds = [notBefore ? `not before ${notBefore}` : '', notAfter ? `not after ${notAfter}` : ''].filter(Boolean).join(', ');
    found.push({ code: 'WINDOW_CLOSED', now: false, message: `outside its window: ${bounds}` });
  }
  return found;
}
