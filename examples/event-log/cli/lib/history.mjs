// Event histories: { format, tenant, version, events: [{ seq, stream, type, data }] }, seq 1..n.
export const EVENTS_FORMAT = 'cicsc/events-v1';

// Checks the envelope and the seq order: starts at 1, no regressions, no gaps.
export function checkIntegrity(doc) {
  const errors = [];
  if (doc?.format !== EVENTS_FORMAT) errors.push(`format must be ${EVENTS_FORMAT}`);
  if (!Number.isInteger(doc?.version)) errors.push('version must be an integer');
  if (!Array.isArray(doc?.events)) return [...errors, 'events must be a list'];
  let previous = 0;
  doc.events.forEach((event, index) => {
    if (!Number.isInteger(event?.seq) || typeof event.stream !== 'string' || typeof event.type !== 'string' || typeof event.data !== 'object' || event.data === null) {
      errors.push(`events[${index}]: needs seq (integer), stream, type and data`);
      return;
    }
    if (event.seq <= previous) errors.push(`seq regression at events[${index}]: ${event.seq} after ${previous}`);
    else if (event.seq !== previous + 1) errors.push(`seq gap at events[${index}]: ${event.seq} after ${previous} (missing ${previous + 1}..${event.seq - 1})`);
    previous = Math.max(previous, event.seq);
  });
  return errors;
}

// Replays a history under a bundle: every event type known, payloads as declared, every
// transition allowed. Returns each stream's final state and the errors.
export function replay(bundle, doc) {
  const states = new Map();
  const errors = [];
  for (const event of doc.events ?? []) {
    const where = `seq ${event.seq} (${event.stream})`;
    const spec = bundle.events?.[event.type];
    if (!spec) {
      errors.push(`${where}: event type ${event.type} is not in bundle version ${bundle.version}`);
      continue;
    }
    errors.push(...checkPayload(spec.payload ?? {}, event.data).map((e) => `${where} ${event.type}: ${e}`));
    const current = states.get(event.stream);
    if (spec.creates !== undefined) {
      if (current !== undefined) errors.push(`${where}: ${event.type} on a stream that already exists`);
      else states.set(event.stream, spec.creates);
    } else if (current === undefined) {
      errors.push(`${where}: ${event.type} before the stream was created`);
    } else if (!spec.from.includes(current)) {
      errors.push(`${where}: ${event.type} not allowed in state ${current}`);
    } else if (spec.to !== undefined) {
      states.set(event.stream, spec.to);
    }
  }
  return { states, errors };
}

function checkPayload(payload, data) {
  const errors = [];
  for (const key of Object.keys(data ?? {})) if (!(key in payload)) errors.push(`unexpected field ${key}`);
  for (const [field, type] of Object.entries(payload)) {
    const value = data?.[field];
    if (value === undefined) errors.push(`missing field ${field}`);
    else if (type === 'integer' ? !Number.isInteger(value) : typeof value !== 'string') errors.push(`field ${field} is not a ${type}`);
  }
  return errors;
}
