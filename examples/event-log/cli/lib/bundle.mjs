// Bundles: a tenant's versioned schema (aggregate states, event types with payloads and state
// transitions) and the migrations that lead to that version.
export const BUNDLE_FORMAT = 'cicsc/bundle-v1';
const PAYLOAD_TYPES = new Set(['string', 'integer']);

// Lists everything wrong with a bundle; empty when it is valid.
export function validateBundle(bundle) {
  const errors = [];
  if (bundle?.format !== BUNDLE_FORMAT) errors.push(`format must be ${BUNDLE_FORMAT}`);
  if (!Number.isInteger(bundle?.version) || bundle.version < 0) errors.push('version must be a non-negative integer');
  if (typeof bundle?.tenant !== 'string') errors.push('tenant must be a string');
  const states = bundle?.aggregate?.states;
  if (!Array.isArray(states) || states.length === 0 || new Set(states).size !== states.length) {
    errors.push('aggregate.states must be a non-empty list of distinct names');
    return errors;
  }
  const known = new Set(states);
  const events = bundle.events ?? {};
  if (Object.keys(events).length === 0) errors.push('events must declare at least one event type');
  for (const [type, spec] of Object.entries(events)) {
    for (const [field, fieldType] of Object.entries(spec.payload ?? {})) {
      if (!PAYLOAD_TYPES.has(fieldType)) errors.push(`events.${type}.payload.${field}: unknown type ${fieldType}`);
    }
    if ((spec.creates === undefined) === (spec.from === undefined)) errors.push(`events.${type}: exactly one of creates or from`);
    if (spec.creates !== undefined && !known.has(spec.creates)) errors.push(`events.${type}.creates: unknown state ${spec.creates}`);
    if (spec.from !== undefined && (!Array.isArray(spec.from) || spec.from.length === 0 || spec.from.some((s) => !known.has(s)))) {
      errors.push(`events.${type}.from: must list known states`);
    }
    if (spec.to !== undefined && (spec.from === undefined || !known.has(spec.to))) errors.push(`events.${type}.to: must be a known state, with from`);
  }
  const ids = new Set();
  for (const [i, m] of (bundle.migrations ?? []).entries()) {
    const where = `migrations[${i}]${typeof m.id === 'string' ? ` (${m.id})` : ''}`;
    if (typeof m.id !== 'string' || m.id === '') errors.push(`${where}: id must be a string`);
    if (ids.has(m.id)) errors.push(`${where}: id is not unique`);
    ids.add(m.id);
    if (!Number.isInteger(m.from_version) || !Number.isInteger(m.to_version)) errors.push(`${where}: from_version and to_version must be integers`);
    for (const [type, rule] of Object.entries(m.events ?? {})) {
      if (rule.drop === true ? rule.to !== undefined : typeof rule.to !== 'string') errors.push(`${where}.events.${type}: either "drop": true or "to"`);
    }
    if (typeof m.states !== 'object' || m.states === null) errors.push(`${where}: states must map every source state`);
  }
  return errors;
}

// The migration with this id in the bundle, or undefined.
export function findMigration(bundle, id) {
  return (bundle?.migrations ?? []).find((m) => m.id === id);
}
