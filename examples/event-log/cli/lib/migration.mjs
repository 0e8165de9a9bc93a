// Migrations between bundle versions: coverage, application to a history, replay verification,
// and the inverse (only for the reversible subset).
import { EVENTS_FORMAT, replay } from './history.mjs';

// Checks that a migration maps every source event type and state onto the target bundle.
export function checkCoverage(migration, from, to) {
  const errors = [];
  for (const type of Object.keys(from.events)) {
    const rule = migration.events?.[type];
    if (!rule) {
      errors.push(`source event type ${type} has no rule`);
      continue;
    }
    if (rule.drop) continue;
    const target = to.events[rule.to];
    if (!target) {
      errors.push(`${type} -> ${rule.to}: not an event type of version ${to.version}`);
      continue;
    }
    const renamed = Object.keys(from.events[type].payload ?? {}).map((f) => rule.payload?.rename?.[f] ?? f).sort();
    const declared = Object.keys(target.payload ?? {}).sort();
    if (renamed.join() !== declared.join()) errors.push(`${type} -> ${rule.to}: payload fields ${renamed.join(', ')} do not match ${declared.join(', ')}`);
  }
  for (const type of Object.keys(migration.events ?? {})) {
    if (!from.events[type]) errors.push(`rule for ${type}, which version ${from.version} does not have`);
  }
  for (const state of from.aggregate.states) {
    const mapped = migration.states?.[state];
    if (mapped === undefined) errors.push(`source state ${state} has no mapping`);
    else if (!to.aggregate.states.includes(mapped)) errors.push(`state ${state} -> ${mapped}: not a state of version ${to.version}`);
  }
  return errors;
}

// Applies a migration to a history: drops, renames, payload transforms; seq renumbered 1..m.
export function applyMigration(migration, doc) {
  const events = [];
  for (const event of doc.events) {
    const rule = migration.events[event.type];
    if (!rule) throw new Error(`seq ${event.seq}: no rule for event type ${event.type}`);
    if (rule.drop) continue;
    events.push({ data: transformPayload(rule.payload, event), seq: events.length + 1, stream: event.stream, type: rule.to });
  }
  return { events, format: EVENTS_FORMAT, tenant: doc.tenant, version: migration.to_version };
}

function transformPayload(transform, event) {
  if (!transform) return { ...event.data };
  const data = {};
  for (const [field, value] of Object.entries(event.data)) {
    const valueMap = transform.values?.[field];
    let mapped = value;
    if (valueMap) {
      if (!(String(value) in valueMap)) throw new Error(`seq ${event.seq}: ${field} = ${JSON.stringify(value)} has no value mapping`);
      mapped = valueMap[String(value)];
    }
    data[transform.rename?.[field] ?? field] = mapped;
  }
  return data;
}

// Why a migration cannot be inverted (the runbook's reversible subset): dropped events,
// payload transforms, non-injective event or state mappings. Empty reasons: reversible.
export function analyseReversibility(migration) {
  const reasons = [];
  const rules = Object.entries(migration.events ?? {});
  const dropped = rules.filter(([, r]) => r.drop).map(([t]) => t);
  if (dropped.length > 0) reasons.push({ code: 'DROPPED_EVENTS', message: `dropped events: ${dropped.join(', ')}` });
  const transformed = rules.filter(([, r]) => !r.drop && hasTransform(r.payload)).map(([t, r]) => `${t} (${describeTransform(r.payload)})`);
  if (transformed.length > 0) reasons.push({ code: 'PAYLOAD_TRANSFORMS', message: `payload transforms: ${transformed.join('; ')}` });
  const events = collisions(rules.filter(([, r]) => !r.drop).map(([t, r]) => [t, r.to]));
  if (events.length > 0) reasons.push({ code: 'EVENT_MAPPING_NOT_INJECTIVE', message: `non-injective event mapping: ${events.join('; ')}` });
  const states = collisions(Object.entries(migration.states ?? {}));
  if (states.length > 0) reasons.push({ code: 'STATE_MAPPING_NOT_INJECTIVE', message: `non-injective state mapping: ${states.join('; ')}` });
  return { reversible: reasons.length === 0, reasons };
}

function hasTransform(payload) {
  return Object.keys(payload?.rename ?? {}).length > 0 || Object.keys(payload?.values ?? {}).length > 0;
}

function describeTransform(payload) {
  const parts = Object.entries(payload.rename ?? {}).map(([a, b]) => `rename ${a} -> ${b}`);
  parts.push(...Object.keys(payload.values ?? {}).map((f) => `map values of ${f}`));
  return parts.join(', ');
}

function collisions(pairs) {
  const byTarget = new Map();
  for (const [source, target] of pairs) byTarget.set(target, [...(byTarget.get(target) ?? []), source]);
  return [...byTarget].filter(([, sources]) => sources.length > 1).map(([target, sources]) => `${sources.join(', ')} -> ${target}`);
}

// The inverse of a reversible migration (callers check analyseReversibility first).
export function invertMigration(migration) {
  return {
    events: Object.fromEntries(Object.entries(migration.events).map(([from, rule]) => [rule.to, { to: from }])),
    from_version: migration.to_version,
    id: `${migration.id}^-1`,
    states: Object.fromEntries(Object.entries(migration.states).map(([from, to]) => [to, from])),
    to_version: migration.from_version,
  };
}

// Replays the source history under the source bundle and the migrated one under the target
// bundle, and checks that every stream ends in the state the migration's state mapping predicts.
export function verifyReplay({ from, to, migration, source, migrated }) {
  const before = replay(from, source);
  const after = replay(to, migrated);
  const errors = [...before.errors.map((e) => `source: ${e}`), ...after.errors.map((e) => `migrated: ${e}`)];
  const dropped = source.events.filter((e) => migration.events[e.type]?.drop).length;
  if (migrated.events.length !== source.events.length - dropped) {
    errors.push(`migrated history has ${migrated.events.length} events, expected ${source.events.length} - ${dropped} dropped`);
  }
  for (const [stream, state] of before.states) {
    const expected = migration.states[state];
    const actual = after.states.get(stream);
    if (actual !== expected) errors.push(`stream ${stream}: ${state} should become ${expected}, replay gives ${actual ?? 'nothing'}`);
  }
  for (const stream of after.states.keys()) if (!before.states.has(stream)) errors.push(`stream ${stream} appears only after migration`);
  return { dropped_events: dropped, errors, migrated_events: migrated.events.length, ok: errors.length === 0, source_events: source.events.length, streams: before.states.size };
}
