// Semantic rules the schema cannot say: unique ids, references, durations, paths, window, artifacts (expressions: expression-rules.ts).
import type { Problem } from '../errors.js';
import { parseDuration } from '../text/duration.js';
import { nameHint } from '../text/nearest.js';
import { ancestorsOf, declaredNeeds, findCycle } from './graph.js';
import { checkCodeTemplates, checkConditions, checkTemplates } from './expression-rules.js';
import { isDynamicPattern } from 'tinyglobby';
import { SIGNERS_GROUP } from './approvals.js';
import { matchedByPatterns, pathProblem, pathsOverlap } from './paths.js';
import { positionOf, type DataPath, type SourceDoc } from './position.js';
import { PHASES, type Plan, type Step } from './types.js';

/** Every step with the phase and index it sits at. */
export interface PlacedStep {
  phase: (typeof PHASES)[number];
  index: number;
  step: Step;
  path: DataPath;
}

/** Steps of all phases in the order they are declared. */
export function placedSteps(plan: Plan): PlacedStep[] {
  return PHASES.flatMap((phase) => (plan.spec[phase] ?? []).map((step, index) => ({ phase, index, step, path: ['spec', phase, index] })));
}

/** All semantic problems of a schema-valid plan. */
export function checkRules(source: SourceDoc, plan: Plan): Problem[] {
  const problems: Problem[] = [];
  const add = (code: Problem['code'], path: DataPath, message: string, hint?: string, key?: string) =>
    problems.push({ code, file: source.file, ...positionOf(source, path, key), message, ...(hint ? { hint } : {}) });

  const steps = placedSteps(plan);
  const ids = new Set(steps.map((s) => s.step.id));
  checkUniqueIds(steps, add);
  for (const placed of steps) checkStep(placed, plan, add);
  checkTemplates(source, plan, ids, problems);
  checkCodeTemplates(source, plan, problems);
  checkConditions(source, steps, ids, problems);
  checkPaths(plan, add);
  checkWindow(plan, add);
  checkArtifacts(plan, add);
  checkGroups(plan, add);
  checkNeeds(steps, add);
  checkMatrix(steps, plan, add);
  return problems;
}

type Add = (code: Problem['code'], path: DataPath, message: string, hint?: string, key?: string) => void;

function checkUniqueIds(steps: PlacedStep[], add: Add): void {
  const seen = new Map<string, PlacedStep>();
  const boundaries = new Map<string, PlacedStep>();
  for (const placed of steps) {
    const first = seen.get(placed.step.id);
    if (first)
      add(
        'PLAN_DUPLICATE',
        [...placed.path, 'id'],
        `step id ${JSON.stringify(placed.step.id)} is already used in ${first.phase}[${first.index}]`,
        'ids are unique across preconditions, steps, rollback and finally',
      );
    else seen.set(placed.step.id, placed);
    const boundary = placed.step.boundary;
    if (boundary) {
      if (boundaries.has(boundary))
        add(
          'PLAN_DUPLICATE',
          [...placed.path, 'boundary'],
          `boundary ${JSON.stringify(boundary)} is already recorded by step ${JSON.stringify(boundaries.get(boundary)!.step.id)}`,
        );
      else boundaries.set(boundary, placed);
    }
  }
}

function checkStep({ step, path, phase, index }: PlacedStep, plan: Plan, add: Add): void {
  if (step.run !== undefined && step.uses !== undefined) {
    add(
      'PLAN_SCHEMA',
      path,
      `step ${JSON.stringify(step.id)} has both \`run\` and \`uses\``,
      'a step either runs a command or uses a built-in',
      'uses',
    );
    return;
  }
  if (step.run === undefined && step.uses === undefined)
    add('PLAN_SCHEMA', path, `step ${JSON.stringify(step.id)} needs \`run\` or \`uses\``);
  if (step.shell && Array.isArray(step.run)) add('PLAN_SCHEMA', [...path, 'shell'], '`shell` needs `run` as a string (the script)');
  if (step.shell && step.run === undefined) add('PLAN_SCHEMA', [...path, 'shell'], '`shell` needs a `run` script');
  if (step.with && !step.uses) add('PLAN_SCHEMA', path, '`with` is only for built-in steps (`uses`)', undefined, 'with');
  for (const key of ['timeout', 'retries'] as const) {
    if (step[key] !== undefined && step.uses === 'assert')
      add('PLAN_SCHEMA', path, `\`${key}\` has no meaning for \`uses: assert\``, undefined, key);
  }
  if (step.timeout !== undefined && parseDuration(step.timeout) === 0)
    add('PLAN_DURATION', [...path, 'timeout'], 'a timeout must be longer than 0', 'write durations like 90s, 10m or 1h');
  for (const [i, j] of (step.expect?.json ?? []).entries()) {
    const ops = (['equals', 'lte', 'gte', 'in'] as const).filter((k) => k in j);
    if (ops.length !== 1)
      add(
        'PLAN_SCHEMA',
        [...path, 'expect', 'json', i],
        `a json expectation needs exactly one of equals, lte, gte, in (has ${ops.length ? ops.join(', ') : 'none'})`,
      );
  }
  if (step.expect?.stdout !== undefined) {
    try {
      new RegExp(step.expect.stdout, 'm');
    } catch (e) {
      add('PLAN_EXPRESSION', [...path, 'expect', 'stdout'], `invalid regular expression: ${(e as Error).message}`);
    }
  }
  const w = step.with ?? {};
  const allowed: Record<string, string[]> = { assert: [], determinism: ['rerun', 'paths'], snapshot: ['name', 'paths'], restore: ['name'] };
  if (step.uses) {
    for (const key of Object.keys(w)) {
      if (!allowed[step.uses]!.includes(key))
        add('PLAN_SCHEMA', [...path, 'with'], `\`with.${key}\` does not apply to \`uses: ${step.uses}\``, undefined, key);
    }
    for (const key of allowed[step.uses]!) {
      if (!(key in w)) add('PLAN_SCHEMA', step.with ? [...path, 'with'] : path, `\`uses: ${step.uses}\` needs \`with.${key}\``);
    }
    if (step.uses === 'assert' && !step.expect) add('PLAN_SCHEMA', path, '`uses: assert` needs `expect`');
  }
  if (step.uses === 'determinism') {
    const earlier = (plan.spec.steps ?? []).slice(0, phase === 'steps' ? index : undefined).map((s) => s.id);
    for (const [i, id] of (w.rerun ?? []).entries()) {
      const target = placedStepsById(plan).get(id);
      if (!target)
        add(
          'PLAN_REFERENCE',
          [...path, 'with', 'rerun', i],
          `no step has the id ${JSON.stringify(id)}`,
          nameHint(
            id,
            earlier.filter((e) => placedStepsById(plan).get(e)?.run !== undefined),
            'earlier run steps',
          ),
        );
      else if (target.uses)
        add('PLAN_REFERENCE', [...path, 'with', 'rerun', i], `step ${JSON.stringify(id)} is a built-in; only \`run\` steps can be rerun`);
      else if (phase !== 'steps' || !earlier.includes(id))
        add('PLAN_REFERENCE', [...path, 'with', 'rerun', i], `step ${JSON.stringify(id)} must be an earlier entry of \`steps\``);
      else if (!stepAncestors(plan, step.id).has(id))
        add(
          'PLAN_REFERENCE',
          [...path, 'with', 'rerun', i],
          `step ${JSON.stringify(id)} may still be running when ${JSON.stringify(step.id)} starts`,
          `add ${JSON.stringify(id)} to needs (directly or through a step it needs)`,
        );
    }
  }
  if (step.uses === 'restore' && w.name) {
    const snapshots = placedSteps(plan).filter((p) => p.step.uses === 'snapshot' && p.step.with?.name === w.name);
    if (snapshots.length === 0) add('PLAN_REFERENCE', [...path, 'with', 'name'], `no snapshot step is named ${JSON.stringify(w.name)}`);
  }
}

/** Every step id of \`steps\` a step waits for, directly or through others. */
function stepAncestors(plan: Plan, id: string): Set<string> {
  return ancestorsOf(declaredNeeds(plan.spec.steps ?? [])).get(id) ?? new Set();
}

function placedStepsById(plan: Plan): Map<string, Step> {
  return new Map(placedSteps(plan).map((p) => [p.step.id, p.step]));
}

function checkPaths(plan: Plan, add: Add): void {
  const check = (path: DataPath, value: string | undefined, options?: { allowRoot?: boolean }) => {
    if (value === undefined) return;
    // Interpolated parts are checked once resolved; the literal parts must already be safe.
    const why = pathProblem(value.replace(/\$\{\{.*?\}\}/g, 'x'), options);
    if (why) add('PLAN_PATH', path, `path ${JSON.stringify(value)} ${why}`, 'paths are relative to the repository root and stay inside it');
  };
  for (const kind of ['inputs', 'registries'] as const) {
    for (const [g, group] of (plan.spec[kind] ?? []).entries())
      for (const [i, p] of group.paths.entries()) check(['spec', kind, g, 'paths', i], p);
  }
  for (const [a, artifact] of (plan.spec.artifacts ?? []).entries()) check(['spec', 'artifacts', a, 'path'], artifact.path);
  check(['spec', 'record', 'dir'], plan.spec.record?.dir);
  check(['spec', 'approvals', 'signers'], plan.spec.approvals?.signers);
  for (const { step, path } of placedSteps(plan)) {
    check([...path, 'cwd'], step.cwd, { allowRoot: true });
    for (const [i, p] of (step.produces ?? []).entries()) check([...path, 'produces', i], p);
    for (const [i, p] of (step.with?.paths ?? []).entries()) check([...path, 'with', 'paths', i], p);
    for (const key of ['exists', 'absent'] as const)
      for (const [i, p] of (step.expect?.[key] ?? []).entries()) check([...path, 'expect', key, i], p);
    for (const [i, j] of (step.expect?.json ?? []).entries()) check([...path, 'expect', 'json', i, 'file'], j.file);
    for (const [name, source] of Object.entries(step.matrix ?? {}))
      if (!Array.isArray(source)) check([...path, 'matrix', name, 'file'], source.file);
  }
}

function checkWindow(plan: Plan, add: Add): void {
  const w = plan.spec.window;
  if (!w?.notBefore || !w.notAfter) return;
  if (Date.parse(w.notAfter) <= Date.parse(w.notBefore))
    add(
      'PLAN_WINDOW',
      ['spec', 'window', 'notAfter'],
      `the window ends (${w.notAfter}) before it starts (${w.notBefore})`,
      'notAfter must be later than notBefore',
    );
}

function checkArtifacts(plan: Plan, add: Add): void {
  const artifacts = plan.spec.artifacts ?? [];
  for (const [i, a] of artifacts.entries()) {
    for (const [j, b] of artifacts.slice(0, i).entries()) {
      if (a.name === b.name)
        add(
          'PLAN_DUPLICATE',
          ['spec', 'artifacts', i, 'name'],
          `artifact name ${JSON.stringify(a.name)} is already used by artifacts[${j}]`,
        );
      else if (pathsOverlap(a.path, b.path))
        add(
          'PLAN_ARTIFACT',
          ['spec', 'artifacts', i, 'path'],
          `artifact ${JSON.stringify(a.name)} (${a.path}) overlaps artifact ${JSON.stringify(b.name)} (${b.path})`,
          'artifact paths must not be nested in one another',
        );
    }
  }
}

function checkGroups(plan: Plan, add: Add): void {
  const signers = plan.spec.approvals?.signers;
  if (signers !== undefined && isDynamicPattern(signers)) {
    add(
      'PLAN_PATH',
      ['spec', 'approvals', 'signers'],
      `approvals.signers ${JSON.stringify(signers)} is a pattern; it names one file`,
      'write the literal path of the allowed-signers file',
    );
  }
  for (const kind of ['inputs', 'registries'] as const) {
    // The allowed-signers file is frozen as an input group of this name; a group of the plan's own may not take it.
    const seen = new Set<string>(kind === 'inputs' && signers !== undefined ? [SIGNERS_GROUP] : []);
    for (const [i, group] of (plan.spec[kind] ?? []).entries()) {
      if (seen.has(group.name)) {
        const byPolicy = kind === 'inputs' && group.name === SIGNERS_GROUP && signers !== undefined;
        add(
          'PLAN_DUPLICATE',
          ['spec', kind, i, 'name'],
          `${kind} name ${JSON.stringify(group.name)} is already used${byPolicy ? ' by approvals.signers, which is frozen under it' : ''}`,
        );
      }
      seen.add(group.name);
    }
  }
}

/**
 * `needs` name steps of the same phase and form no cycle (docs/runs.md, "Order and concurrency").
 * Each problem is reported at the `needs` entry that causes it.
 */
function checkNeeds(steps: PlacedStep[], add: Add): void {
  const byId = new Map(steps.map((p) => [p.step.id, p]));
  for (const phase of PHASES) {
    const inPhase = steps.filter((p) => p.phase === phase);
    for (const { step, path } of inPhase) {
      for (const [i, id] of (step.needs ?? []).entries()) {
        const target = byId.get(id);
        if (!target) add('PLAN_REFERENCE', [...path, 'needs', i], `no step has the id ${JSON.stringify(id)}`);
        else if (target.phase !== phase)
          add(
            'PLAN_REFERENCE',
            [...path, 'needs', i],
            `step ${JSON.stringify(id)} is in ${target.phase}; a step waits only for steps of its own phase (${phase})`,
          );
      }
    }
    // Duplicate ids are reported as such; the graph of a phase holding them means nothing.
    if (new Set(inPhase.map((p) => p.step.id)).size < inPhase.length) continue;
    const cycle = findCycle(declaredNeeds(inPhase.map((p) => p.step)));
    if (!cycle) continue;
    const [first, next] = cycle as [string, string];
    const placed = byId.get(first)!;
    const at = placed.step.needs?.indexOf(next) ?? -1;
    add(
      'PLAN_REFERENCE',
      at >= 0 ? [...placed.path, 'needs', at] : [...placed.path, 'id'],
      `the steps wait for each other in a circle: ${cycle.join(' → ')}`,
      'remove one of these needs',
    );
  }
}

/** A matrix is for `run` steps, its file is frozen (a registry or input), and a boundary belongs to a single step. */
function checkMatrix(steps: PlacedStep[], plan: Plan, add: Add): void {
  const frozen = [...(plan.spec.registries ?? []), ...(plan.spec.inputs ?? [])].flatMap((g) => g.paths);
  for (const { step, path } of steps) {
    if (!step.matrix) continue;
    if (step.run === undefined) add('PLAN_SCHEMA', [...path, 'matrix'], 'a matrix is for `run` steps', undefined, 'matrix');
    if (step.boundary)
      add(
        'PLAN_SCHEMA',
        [...path, 'boundary'],
        'a matrix step has no single end to record as a boundary',
        'put the boundary on a step that needs this one',
      );
    for (const [name, source] of Object.entries(step.matrix)) {
      if (Array.isArray(source) || matchedByPatterns(source.file, frozen)) continue;
      add(
        'PLAN_REFERENCE',
        [...path, 'matrix', name, 'file'],
        `matrix file ${JSON.stringify(source.file)} is not a registry or input: its shard list would not be frozen`,
        'add it to spec.inputs (or spec.registries) and freeze the plan again',
      );
    }
  }
}
