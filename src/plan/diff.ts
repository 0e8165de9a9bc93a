// What changed between two versions of a plan, in the plan's own terms: steps added, removed or
// changed (by id, in each phase), a phase's order, and the other settings that differ.
import { canonicalJson } from '../text/json.js';
import { compareUtf8 } from '../text/utf8.js';
import { placedSteps } from './rules.js';
import { PHASES, type Phase, type Plan } from './types.js';

/** A step named by its phase and id, `steps/migrate`. */
export type StepRef = `${Phase}/${string}`;

/** The differences between two plans; every list is empty when they are the same. */
export interface PlanDiff {
  added: StepRef[];
  removed: StepRef[];
  changed: StepRef[];
  /** Phases whose steps kept their ids but run in another order. */
  reordered: Phase[];
  /** Other keys that differ: `metadata.description`, `spec.registries`, `spec.window`, … */
  settings: string[];
}

/** Compares two valid plans step by step and key by key. */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const stepsOf = (plan: Plan) =>
    new Map(placedSteps(plan).map(({ phase, step }) => [`${phase}/${step.id}` as StepRef, canonicalJson(step)]));
  const old = stepsOf(before);
  const now = stepsOf(after);
  const added = [...now.keys()].filter((ref) => !old.has(ref));
  const removed = [...old.keys()].filter((ref) => !now.has(ref));
  const changed = [...now.keys()].filter((ref) => old.has(ref) && old.get(ref) !== now.get(ref));
  const reordered = PHASES.filter((phase) => {
    const kept = (plan: Plan, other: Map<StepRef, string>) =>
      (plan.spec[phase] ?? []).map((s) => `${phase}/${s.id}` as StepRef).filter((ref) => other.has(ref));
    return kept(before, now).join('\n') !== kept(after, old).join('\n');
  });
  return { added, removed, changed, reordered, settings: settingsChanged(before, after) };
}

/** True when the two plans differ in nothing but formatting and comments. */
export function samePlan(diff: PlanDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length + diff.reordered.length + diff.settings.length === 0;
}

function settingsChanged(before: Plan, after: Plan): string[] {
  const phases = new Set<string>(PHASES);
  const keys = (plan: Plan) => [
    ...Object.keys(plan.metadata).map((k) => `metadata.${k}`),
    ...Object.keys(plan.spec)
      .filter((k) => !phases.has(k))
      .map((k) => `spec.${k}`),
  ];
  const settingOf = (plan: Plan, key: string) => {
    const [part, field] = key.split('.') as ['metadata' | 'spec', string];
    return canonicalJson((plan[part] as Record<string, unknown>)[field] ?? null);
  };
  const all = [...new Set([...keys(before), ...keys(after), 'apiVersion', 'kind'])].sort(compareUtf8);
  return all.filter((key) =>
    key.includes('.') ? settingOf(before, key) !== settingOf(after, key) : before[key as 'kind'] !== after[key as 'kind'],
  );
}
