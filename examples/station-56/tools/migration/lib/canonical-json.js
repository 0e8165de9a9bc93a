// Canonical JSON: object keys sorted, 2-space indent, final newline; the same value always
// serialises to the same bytes, which is what makes the candidate storage reproducible.

// Serialises a JSON value canonically.
export function canonicalJson(value) {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted = {};
    // Default sort is by UTF-16 code units: stable and deterministic, which is all we need here.
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}
