// The event-log tenant CLI (cicsc), run as real processes in temp copies of examples/event-log.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { copyExample, editJson, exists, readJson, runNode } from './example-repo.js';

const CLI = 'cli/cicsc.mjs';
const V0_TO_V1 = ['--from', 'bundle.v0.json', '--to', 'bundle.v1.json', '--events', 'events.v0.json', '--migration', 'v0_to_v1'];
const cli = (repo: string, args: string[]) => runNode(repo, CLI, args);
const json = (text: string) => JSON.parse(text);

describe.concurrent('event-log cicsc CLI', () => {
  test('migration-preflight passes every check for v0_to_v1', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    const result = await cli(repo, ['migration-preflight', ...V0_TO_V1]);
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.ok).toBe(true);
    expect(Object.keys(report.checks).sort()).toEqual([
      'forward_only',
      'history_conforms',
      'history_integrity',
      'migration_covers_source',
      'migration_present',
      'source_bundle_valid',
      'target_bundle_valid',
    ]);
    for (const check of Object.values<{ ok: boolean; errors: string[] }>(report.checks)) expect(check).toEqual({ errors: [], ok: true });
    expect(report.events).toEqual({ count: 42, path: 'events.v0.json' });
    expect(report.rollback).toEqual({ reasons: [], reversible: true });
  });

  test('a gap or a regression in seq fails the preflight with the reason', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    editJson(repo, 'events.v0.json', (doc) => {
      doc.events.splice(12, 2); // seq 13 and 14 missing
    });
    const gap = await cli(repo, ['migration-preflight', ...V0_TO_V1]);
    expect(gap.code).toBe(1);
    const report = json(gap.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks.history_integrity.ok).toBe(false);
    expect(report.checks.history_integrity.errors).toEqual(['seq gap at events[12]: 15 after 12 (missing 13..14)']);
    expect(report.checks.history_conforms.skipped).toBe(true);
    expect(report.checks.source_bundle_valid.ok).toBe(true);

    editJson(repo, 'events.v0.json', (doc) => {
      doc.events.splice(12, 0, { ...doc.events[11], seq: 13 }, { ...doc.events[11], seq: 11 });
    });
    const regression = json((await cli(repo, ['migration-preflight', ...V0_TO_V1])).stdout);
    expect(regression.checks.history_integrity.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^seq regression at events\[13\]: 11 after 13/)]),
    );
  });

  test('preflight refuses a missing migration and a backward one', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    const missing = json((await cli(repo, ['migration-preflight', ...V0_TO_V1.slice(0, -1), 'v0_to_v9'])).stdout);
    expect(missing.checks.migration_present).toEqual({ errors: ['bundle version 1 has no migration v0_to_v9 (has: v0_to_v1)'], ok: false });
    const backward = await cli(repo, [
      'migration-preflight',
      '--from',
      'bundle.v1.json',
      '--to',
      'bundle.v0.json',
      '--events',
      'events.v0.json',
      '--migration',
      'v0_to_v1',
    ]);
    expect(backward.code).toBe(1);
    expect(json(backward.stdout).checks.migration_present.ok).toBe(false);
  });

  test('migration-dry-run writes a deterministic artifact of the required shape', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    const first = await cli(repo, ['migration-dry-run', ...V0_TO_V1, '--artifact', 'artifacts/migration-dry-run.json']);
    expect(first.code).toBe(0);
    const second = await cli(repo, ['migration-dry-run', ...V0_TO_V1, '--artifact', './artifacts/again.json']);
    expect(second.code).toBe(0);
    const bytes = readFileSync(path.join(repo, 'artifacts/migration-dry-run.json'), 'utf8');
    expect(readFileSync(path.join(repo, 'artifacts/again.json'), 'utf8')).toBe(bytes);
    const artifact = json(bytes);
    expect(artifact).toMatchObject({
      version: 'cicsc/migration-dry-run-v1',
      ok: true,
      source_events: 42,
      migrated_events: 42,
      dropped_events: 0,
    });
    expect(artifact.preflight.ok).toBe(true);
    expect(Object.keys(artifact.preflight.checks)).toHaveLength(7);
    expect(artifact.replay).toMatchObject({ ok: true, streams: 8, errors: [] });
    expect(artifact.migrated_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // No wall-clock time or host detail in the artifact.
    expect(bytes).not.toMatch(/20\d\d-\d\d-\d\dT|\/tmp\//);
  });

  test('a failed dry-run still writes its artifact and exits 1', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    let where = '';
    editJson(repo, 'events.v0.json', (doc) => {
      const comment = doc.events.find((e: { type: string }) => e.type === 'TicketCommented');
      comment.type = 'TicketEscalated';
      where = `seq ${comment.seq} (${comment.stream})`;
    });
    const result = await cli(repo, ['migration-dry-run', ...V0_TO_V1, '--artifact', 'artifacts/migration-dry-run.json']);
    expect(result.code).toBe(1);
    const artifact = readJson(repo, 'artifacts/migration-dry-run.json');
    expect(artifact).toMatchObject({ ok: false, migrated_events: null, source_events: 42 });
    expect(artifact.preflight.checks.history_conforms.errors).toEqual([`${where}: event type TicketEscalated is not in bundle version 0`]);
  });

  test('the full cutover leaves the tenant switched to v1 and resumed', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    expect(readJson(repo, 'state/tenant.json')).toEqual({
      active_version: 0,
      bundle: 'bundle.v0.json',
      events: 'events.v0.json',
      tenant: 'acme-support',
      writes: 'open',
    });
    // The history steps refuse while the tenant still accepts writes.
    const early = await cli(repo, ['verify-replay', ...V0_TO_V1]);
    expect(early.code).toBe(3);
    expect(early.stderr).toMatch(/needs tenant writes paused/);

    expect((await cli(repo, ['migration-dry-run', ...V0_TO_V1, '--artifact', 'artifacts/migration-dry-run.json'])).code).toBe(0);
    expect((await cli(repo, ['pause'])).code).toBe(0);
    expect(readJson(repo, 'state/tenant.json').writes).toBe('paused');
    const verify = await cli(repo, ['verify-replay', ...V0_TO_V1]);
    expect(verify.code).toBe(0);
    expect(json(verify.stdout)).toMatchObject({ ok: true, streams: 8, source_events: 42, migrated_events: 42 });
    const write = await cli(repo, ['migrate-history', ...V0_TO_V1, '--out', 'events.v1.json']);
    expect(write.code).toBe(0);
    // The history written is the one the dry-run described.
    expect(json(write.stdout).digest).toBe(readJson(repo, 'artifacts/migration-dry-run.json').migrated_digest);
    const migrated = readJson(repo, 'events.v1.json');
    expect(migrated.version).toBe(1);
    expect(migrated.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect(new Set(migrated.events.map((e: { type: string }) => e.type))).not.toContain('TicketOpened');
    expect((await cli(repo, ['switch', '--to', 'v1'])).code).toBe(0);
    expect((await cli(repo, ['resume'])).code).toBe(0);
    const resumedAgain = await cli(repo, ['resume']);
    expect(json(resumedAgain.stdout).changed).toBe(false);
    expect(json((await cli(repo, ['switch', '--to', 'v1'])).stdout).changed).toBe(false);
    expect(readJson(repo, 'state/tenant.json')).toEqual({
      active_version: 1,
      bundle: 'bundle.v1.json',
      events: 'events.v1.json',
      tenant: 'acme-support',
      writes: 'open',
    });
    expect(readJson(repo, 'events.v0.json').version).toBe(0);
  });

  test('switch refuses a history that does not replay under the target bundle', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    await cli(repo, ['pause']);
    const result = await cli(repo, ['switch', '--to', 'v1', '--events', 'events.v0.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/events.v0.json is version 0, not 1/);
    expect(readJson(repo, 'state/tenant.json').active_version).toBe(0);
  });

  test('rolling back the reversible migration reproduces events.v0.json exactly', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    await cli(repo, ['pause']);
    expect((await cli(repo, ['migrate-history', ...V0_TO_V1, '--out', 'events.v1.json'])).code).toBe(0);
    const rollback = await cli(repo, [
      'migration-rollback',
      '--to',
      './bundle.v1.json',
      '--events',
      './events.v1.json',
      '--migration',
      'v0_to_v1',
      '--out-events',
      './events.v0.rolledback.json',
    ]);
    expect(rollback.code).toBe(0);
    expect(json(rollback.stdout)).toMatchObject({ ok: true, reversible: true, events: 42, version: 0 });
    expect(readFileSync(path.join(repo, 'events.v0.rolledback.json'), 'utf8')).toBe(
      readFileSync(path.join(repo, 'events.v0.json'), 'utf8'),
    );
  });

  test('rolling back the irreversible migration refuses with every reason and writes nothing', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    await cli(repo, ['pause']);
    expect((await cli(repo, ['migrate-history', ...V0_TO_V1, '--out', 'events.v1.json'])).code).toBe(0);
    const v1ToV2 = ['--from', 'bundle.v1.json', '--to', 'bundle.v2.json', '--events', 'events.v1.json', '--migration', 'v1_to_v2'];
    expect((await cli(repo, ['migrate-history', ...v1ToV2, '--out', 'events.v2.json'])).code).toBe(0);
    expect(readJson(repo, 'events.v2.json').events).toHaveLength(34); // the comments are dropped
    const before = readdirSync(repo).sort();

    const refused = await cli(repo, [
      'migration-rollback',
      '--to',
      'bundle.v2.json',
      '--events',
      'events.v2.json',
      '--migration',
      'v1_to_v2',
      '--out-events',
      'events.v1.rolledback.json',
    ]);
    expect(refused.code).toBe(3);
    expect(json(refused.stdout).reasons.map((r: { code: string }) => r.code)).toEqual([
      'DROPPED_EVENTS',
      'PAYLOAD_TRANSFORMS',
      'EVENT_MAPPING_NOT_INJECTIVE',
      'STATE_MAPPING_NOT_INJECTIVE',
    ]);
    expect(refused.stderr).toMatch(/refused: v1_to_v2 is not reversible: dropped events: TicketCommented/);
    expect(refused.stderr).toMatch(/non-injective state mapping: new, in_progress -> open; resolved, withdrawn -> closed/);
    expect(exists(repo, 'events.v1.rolledback.json')).toBe(false);
    expect(readdirSync(repo).sort()).toEqual(before);

    const check = await cli(repo, ['migration-rollback', '--check', '--to', 'bundle.v2.json', '--migration', 'v1_to_v2']);
    expect(check.code).toBe(3);
    expect(json(check.stdout).reversible).toBe(false);
    // The preflight says so up front, without failing: reversibility is not a precondition of a migration.
    const pre = json((await cli(repo, ['migration-preflight', ...v1ToV2])).stdout);
    expect(pre.ok).toBe(true);
    expect(pre.rollback.reversible).toBe(false);
  });

  test('migration-rollback --if-present does nothing when the migrated history was never written', async ({ expect, onTestFinished }) => {
    const repo = copyExample('event-log', onTestFinished);
    const result = await cli(repo, [
      'migration-rollback',
      '--to',
      'bundle.v1.json',
      '--events',
      'events.v1.json',
      '--migration',
      'v0_to_v1',
      '--out-events',
      'events.v0.rolledback.json',
      '--if-present',
    ]);
    expect(result.code).toBe(0);
    expect(json(result.stdout).rolled_back).toBeNull();
    expect(exists(repo, 'events.v0.rolledback.json')).toBe(false);
    const strict = await cli(repo, [
      'migration-rollback',
      '--to',
      'bundle.v1.json',
      '--events',
      'events.v1.json',
      '--migration',
      'v0_to_v1',
      '--out-events',
      'events.v0.rolledback.json',
    ]);
    expect(strict.code).toBe(2);
  });
});
