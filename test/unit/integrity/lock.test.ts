import { canonicalJson } from '../../../src/text/json.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CutoverError } from '../../../src/errors.js';

import {
  LOCK_FORMAT,
  computeLock,
  diffLock,
  freezeDigestOf,
  lockGroupsOf,
  lockInconsistencies,
  lockPathFor,
  sameIdentity,
  type FrozenGroup,
  type Lock,
} from '../../../src/integrity/lock.js';
import { parseLock } from '../../../src/integrity/lock-parse.js';
import { manifestRoot } from '../../../src/integrity/merkle.js';
import { sha256Digest } from '../../../src/text/digest.js';

const sha = (...parts: (string | Uint8Array)[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const hex = (text: string) => sha(text).toString('hex');

// RFC 6962 over lines, written as the RFC writes it: an independent check of the freeze digest.
function mth(lines: string[]): Buffer {
  if (lines.length === 0) return sha('');
  if (lines.length === 1) return sha(Uint8Array.of(0), lines[0] as string);
  let k = 1;
  while (k * 2 < lines.length) k *= 2;
  return sha(Uint8Array.of(1), mth(lines.slice(0, k)), mth(lines.slice(k)));
}

function group(kind: FrozenGroup['kind'], name: string, files: Record<string, string>, patterns = ['x/*']): FrozenGroup {
  const entries = Object.entries(files)
    .map(([path, content]) => ({ path, digest: hex(content) }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { kind, name, patterns, entries, root: manifestRoot(entries) };
}

const PLAN_DIGEST = sha256Digest(Buffer.from('apiVersion: cutover/v1\n'));
const ALICE = 'Alice Operator <alice@example.test>';
const BOB = 'Bob Reviewer <bob@example.test>';
const FINGERPRINT = `SHA256:${'A'.repeat(43)}`;
const SIGNATURE = `U1NIU0lH${'A'.repeat(120)}`;
const GROUPS = [
  group('registries', 'mapping', { 'migration/mapping/a.json': '{"a":1}\n', 'migration/mapping/b.json': '{"b":2}\n' }, [
    'migration/mapping/*.json',
  ]),
  group('inputs', 'source-db', { 'db/index.js': 'module.exports = 1;\n' }),
];

function sampleLock(approvals: Lock['approvals'] = []): Lock {
  return computeLock({ plan: 'plans/station.yaml', planDigest: PLAN_DIGEST, groups: GROUPS, frozenBy: ALICE, approvals });
}

function invalid(text: string): CutoverError {
  try {
    parseLock(text, 'plans/station.lock.json');
  } catch (error) {
    expect(error).toBeInstanceOf(CutoverError);
    return error as CutoverError;
  }
  throw new Error('expected parseLock to refuse');
}

describe('lockPathFor', () => {
  it('puts the lock beside the plan, named without .yaml or .yml', () => {
    expect(lockPathFor('plans/station-56.yaml')).toBe('plans/station-56.lock.json');
    expect(lockPathFor('plans/station-56.yml')).toBe('plans/station-56.lock.json');
    expect(lockPathFor('cutover.plan.yaml')).toBe('cutover.plan.lock.json');
    expect(lockPathFor('plans/no-extension')).toBe('plans/no-extension.lock.json');
  });
});

describe('freezeDigestOf', () => {
  it('is the RFC 6962 root over "<root hex>  <kind>/<name>" and "<plan hex>  plan" lines in byte order', () => {
    const lines = [
      `${GROUPS[1]!.root.slice(7)}  inputs/source-db\n`,
      `${PLAN_DIGEST.slice(7)}  plan\n`,
      `${GROUPS[0]!.root.slice(7)}  registries/mapping\n`,
    ];
    expect(freezeDigestOf(PLAN_DIGEST, GROUPS)).toBe(`sha256:${mth(lines).toString('hex')}`);
  });

  it('changes with the plan, with any file, and with a group name', () => {
    const base = freezeDigestOf(PLAN_DIGEST, GROUPS);
    expect(freezeDigestOf(sha256Digest(Buffer.from('other plan')), GROUPS)).not.toBe(base);
    expect(freezeDigestOf(PLAN_DIGEST, [group('registries', 'mapping', { 'migration/mapping/a.json': 'changed' }), GROUPS[1]!])).not.toBe(
      base,
    );
    expect(freezeDigestOf(PLAN_DIGEST, [{ ...GROUPS[0]!, name: 'renamed' }, GROUPS[1]!])).not.toBe(base);
  });
});

describe('computeLock and parseLock', () => {
  it('writes every group with patterns, files and root, and no timestamps', () => {
    const lock = sampleLock();
    expect(lock.format).toBe(LOCK_FORMAT);
    expect(lock.registries.mapping).toEqual({
      patterns: ['migration/mapping/*.json'],
      files: { 'migration/mapping/a.json': hex('{"a":1}\n'), 'migration/mapping/b.json': hex('{"b":2}\n') },
      root: GROUPS[0]!.root,
    });
    expect(lock.inputs['source-db']?.root).toBe(GROUPS[1]!.root);
    expect(lock.freezeDigest).toBe(freezeDigestOf(PLAN_DIGEST, GROUPS));
    expect(canonicalJson(lock)).not.toMatch(/"\d{4}-\d\d-\d\dT/);
    expect(Object.keys(JSON.parse(canonicalJson(lock)))).toEqual([
      'approvals',
      'format',
      'freezeDigest',
      'frozenBy',
      'inputs',
      'plan',
      'planDigest',
      'registries',
    ]);
  });

  it('keeps only approvals bound to the new freeze digest', () => {
    const digest = freezeDigestOf(PLAN_DIGEST, GROUPS);
    const lock = sampleLock([
      { by: BOB, digest },
      { by: 'Carol <carol@example.test>', digest: `sha256:${'0'.repeat(64)}` },
    ]);
    expect(lock.approvals).toEqual([{ by: BOB, digest }]);
  });

  it('keeps a signed approval of the new digest with its principal, key and signature, and round-trips it', () => {
    const digest = freezeDigestOf(PLAN_DIGEST, GROUPS);
    const signed = { by: BOB, digest, principal: 'bob@example.test', key: FINGERPRINT, signature: SIGNATURE };
    const lock = sampleLock([signed, { ...signed, digest: `sha256:${'0'.repeat(64)}` }]);
    expect(lock.approvals).toEqual([signed]);
    expect(parseLock(canonicalJson(lock), 'x.lock.json')).toEqual(lock);
  });

  it('round-trips through canonical JSON', () => {
    const lock = sampleLock([{ by: BOB, digest: freezeDigestOf(PLAN_DIGEST, GROUPS) }]);
    const text = canonicalJson(lock);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseLock(text, 'x.lock.json')).toEqual(lock);
    expect(lockInconsistencies(parseLock(text, 'x.lock.json'))).toEqual([]);
  });

  it('refuses text that is not JSON, with the line and column', () => {
    const text = canonicalJson(sampleLock()).replace('"format"', 'format');
    const error = invalid(text);
    expect(error.code).toBe('LOCK_INVALID');
    expect(error.exitCode).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('format:')) + 1;
    expect(error.problems[0]).toMatchObject({ file: 'plans/station.lock.json', line, col: 3 });
  });

  it('refuses unknown and missing keys, pointing at the key', () => {
    const data = JSON.parse(canonicalJson(sampleLock()));
    data.createdAt = '2026-01-01';
    delete data.frozenBy;
    const text = canonicalJson(data);
    const error = invalid(text);
    const unknown = error.problems.find((p) => p.message.includes('createdAt'));
    expect(unknown).toMatchObject({ code: 'LOCK_INVALID', line: text.split('\n').findIndex((l) => l.includes('"createdAt"')) + 1, col: 3 });
    expect(error.problems.some((p) => p.message.includes('lacks "frozenBy"'))).toBe(true);
  });

  it.each([
    [
      'a file digest that is not hex',
      (d: any) => (d.registries.mapping.files['migration/mapping/a.json'] = 'XYZ'),
      'the digest of "migration/mapping/a.json"',
    ],
    [
      'a root without its algorithm',
      (d: any) => (d.registries.mapping.root = d.registries.mapping.root.slice(7)),
      'registries.mapping.root',
    ],
    ['a path that leaves the repository', (d: any) => (d.inputs['source-db'].files['../etc/passwd'] = hex('x')), '"../etc/passwd"'],
    ['an unknown format', (d: any) => (d.format = 'cutover-lock/v9'), 'cutover-lock/v9'],
    ['an identity without an e-mail', (d: any) => (d.frozenBy = 'alice'), 'frozenBy'],
    ['an approval with an extra key', (d: any) => d.approvals.push({ by: BOB, digest: d.freezeDigest, at: 'now' }), '"at"'],
    ['a group with no patterns', (d: any) => (d.registries.mapping.patterns = []), 'patterns'],
    [
      'a signed approval without its signature',
      (d: any) => d.approvals.push({ by: BOB, digest: d.freezeDigest, principal: 'bob@example.test', key: FINGERPRINT }),
      'lacks "signature"',
    ],
    [
      'a principal that is a pattern list',
      (d: any) =>
        d.approvals.push({ by: BOB, digest: d.freezeDigest, principal: 'bob@example.test,*', key: FINGERPRINT, signature: SIGNATURE }),
      'principal',
    ],
    [
      'a key that is no fingerprint',
      (d: any) =>
        d.approvals.push({ by: BOB, digest: d.freezeDigest, principal: 'bob@example.test', key: 'ssh-ed25519 AAAA', signature: SIGNATURE }),
      'SSH key fingerprint',
    ],
    [
      'a signature that is no SSHSIG blob',
      (d: any) =>
        d.approvals.push({
          by: BOB,
          digest: d.freezeDigest,
          principal: 'bob@example.test',
          key: FINGERPRINT,
          signature: '-----BEGIN SSH SIGNATURE-----',
        }),
      'SSHSIG',
    ],
  ])('refuses %s', (_name, edit, mentioned) => {
    const data = JSON.parse(canonicalJson(sampleLock()));
    edit(data);
    const error = invalid(canonicalJson(data));
    expect(error.code).toBe('LOCK_INVALID');
    expect(error.problems.map((p) => p.message).join('\n')).toContain(mentioned);
    expect(error.problems[0]?.line).toBeGreaterThan(1);
  });
});

describe('lockInconsistencies', () => {
  it('finds a file digest edited by hand: the recorded root no longer follows', () => {
    const lock = sampleLock();
    lock.registries.mapping!.files['migration/mapping/a.json'] = hex('forged');
    expect(lockInconsistencies(lock)).toEqual([expect.stringContaining('registries/mapping records root')]);
  });

  it('finds a freeze digest edited by hand', () => {
    const lock = { ...sampleLock(), freezeDigest: `sha256:${'1'.repeat(64)}` };
    expect(lockInconsistencies(lock)).toEqual([expect.stringContaining('freezeDigest is sha256:1111')]);
  });

  it('accepts a forged lock whose numbers were all recomputed: that shows up as drift against the work tree instead', () => {
    const forged = computeLock({
      plan: 'plans/station.yaml',
      planDigest: PLAN_DIGEST,
      groups: [group('registries', 'mapping', { 'migration/mapping/a.json': 'forged' }), GROUPS[1]!],
      frozenBy: ALICE,
    });
    expect(lockInconsistencies(forged)).toEqual([]);
    expect(diffLock(forged, lockGroupsOf(GROUPS)).map((d) => [d.path, d.reason])).toEqual([
      ['migration/mapping/a.json', 'changed'],
      ['migration/mapping/b.json', 'added'],
    ]);
  });
});

describe('diffLock', () => {
  it('names each changed, added and removed file with its group, in path byte order', () => {
    const now = lockGroupsOf([
      group('registries', 'mapping', { 'migration/mapping/a.json': 'edited', 'migration/mapping/c.json': 'new' }),
      group('inputs', 'source-db', { 'db/index.js': 'module.exports = 1;\n' }),
      group('inputs', 'extra', { 'extra.txt': 'x' }),
    ]);
    expect(diffLock(sampleLock(), now).map(({ path, kind, group: g, reason }) => ({ path, kind, group: g, reason }))).toEqual([
      { path: 'migration/mapping/a.json', kind: 'registries', group: 'mapping', reason: 'changed' },
      { path: 'migration/mapping/b.json', kind: 'registries', group: 'mapping', reason: 'removed' },
      { path: 'migration/mapping/c.json', kind: 'registries', group: 'mapping', reason: 'added' },
      { path: 'extra.txt', kind: 'inputs', group: 'extra', reason: 'added' },
    ]);
  });

  it('reports exactly the files whose digests differ (property)', () => {
    const files = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6})?\.json$/), fc.string(), { maxKeys: 12 });
    fc.assert(
      fc.property(files, files, (a, b) => {
        const drift = diffLock(lockGroupsOf([group('registries', 'r', a)]), lockGroupsOf([group('registries', 'r', b)]));
        const expected = new Set(
          [...Object.keys(a), ...Object.keys(b)].filter((p) => a[p] === undefined || b[p] === undefined || hex(a[p]!) !== hex(b[p]!)),
        );
        expect(new Set(drift.map((d) => d.path))).toEqual(expected);
        for (const d of drift) expect(d.reason).toBe(a[d.path] === undefined ? 'added' : b[d.path] === undefined ? 'removed' : 'changed');
      }),
    );
  });
});

describe('identities', () => {
  it('compares identities by e-mail address', () => {
    expect(sameIdentity('Alice <alice@example.test>', 'alice m. <Alice@Example.test>')).toBe(true);
    expect(sameIdentity('Alice <alice@example.test>', 'Alice <alice@example.org>')).toBe(false);
  });
});

describe('docs/integrity.md, the lock', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/integrity.md', import.meta.url)), 'utf8');
  const blocks = new Map([...doc.matchAll(/^```\w+ ([\w-]+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1] as string, m[2] as string]));
  const block = (name: string) => {
    const text = blocks.get(name);
    if (text === undefined) throw new Error(`docs/integrity.md has no block named ${name}`);
    return text;
  };

  it('computes the worked example: group roots, freeze lines, freeze digest and the lock, byte for byte', () => {
    const files = JSON.parse(block('lock-files')) as Record<string, string>;
    const pick = (prefix: string) => Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(prefix)));
    const groups = [
      group('registries', 'mapping', pick('migration/'), ['migration/mapping/*.json']),
      group('inputs', 'source-db', pick('db/'), ['db/index.js']),
    ];
    const planDigest = sha256Digest(Buffer.from(block('lock-plan')));
    // Independently: the lines as the doc defines them, sorted by the bytes of the name, and RFC 6962 over them.
    const lines = [
      [groups[0]!.root.slice(7), 'registries/mapping'],
      [groups[1]!.root.slice(7), 'inputs/source-db'],
      [planDigest.slice(7), 'plan'],
    ]
      .sort((a, b) => Buffer.compare(Buffer.from(a[1]!), Buffer.from(b[1]!)))
      .map(([root, name]) => `${root}  ${name}\n`);
    expect(block('freeze-lines')).toBe(lines.join(''));
    expect(block('freeze-digest').trim()).toBe(`sha256:${mth(lines).toString('hex')}`);
    const digest = freezeDigestOf(planDigest, groups);
    expect(digest).toBe(block('freeze-digest').trim());
    const lock = computeLock({
      plan: 'plans/station-56.yaml',
      planDigest,
      groups,
      frozenBy: 'Alice Operator <alice@example.org>',
      approvals: [{ by: 'Bob Reviewer <bob@example.org>', digest }],
    });
    expect(canonicalJson(lock)).toBe(block('lock-example'));
    expect(parseLock(block('lock-example'), 'example.lock.json')).toEqual(lock);
  });

  it('shows the approve commit subject as the code writes it', () => {
    expect(doc).toContain(`cutover(station-56): approve ${block('freeze-digest').trim().slice(7, 19)}`);
  });
});
