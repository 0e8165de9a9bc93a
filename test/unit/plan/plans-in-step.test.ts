// The playbook plan under plans/ is the station-56 example's plan, byte for byte: no drift between them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

it('plans/station-56-cutover.yaml equals examples/station-56/plans/station-56-cutover.yaml', () => {
  const top = readFileSync(join(root, 'plans/station-56-cutover.yaml'), 'utf8');
  const example = readFileSync(join(root, 'examples/station-56/plans/station-56-cutover.yaml'), 'utf8');
  expect(top).toBe(example);
});
