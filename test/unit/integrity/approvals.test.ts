// Which unsigned approvals count: the current digest, not the freezer, one a person; signed ones are judged in test/integration/approvals.test.ts.
import { describe, expect, it } from 'vitest';
import { sshVerifier } from '../../../src/adapters/ssh-sign.js';
import { APPROVAL_NAMESPACE, evaluateApprovals } from '../../../src/integrity/approvals.js';
import type { ApprovalPolicy } from '../../../src/plan/approvals.js';

const ALICE = 'Alice Operator <alice@example.test>';
const BOB = 'Bob Reviewer <bob@example.test>';
const digest = `sha256:${'b'.repeat(64)}`;
const older = `sha256:${'a'.repeat(64)}`;
// No signature is ever checked below: unsigned approvals need no ssh-keygen.
const verifier = sshVerifier(APPROVAL_NAMESPACE, null);
const policy = (required: number, more: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({ required, distinctFromFreezer: true, ...more });

describe('evaluateApprovals, unsigned', () => {
  it('counts approvals of the current digest by people other than the freezer, once each, as claims', async () => {
    const lock = {
      frozenBy: ALICE,
      approvals: [
        { by: BOB, digest },
        { by: 'bob <BOB@example.test>', digest },
        { by: 'Carol <carol@example.test>', digest },
      ],
    };
    const verdict = await evaluateApprovals(lock, policy(2), digest, verifier);
    expect(verdict.valid.map((v) => [v.approval.by, v.verified])).toEqual([
      [BOB, false],
      ['Carol <carol@example.test>', false],
    ]);
    expect(verdict.rejected).toEqual([
      { approval: lock.approvals[1], reason: 'duplicate', detail: expect.stringContaining('already approved') },
    ]);
    expect(verdict.satisfied).toBe(true);
  });

  it('does not count an approval of an older digest, and says so', async () => {
    const verdict = await evaluateApprovals({ frozenBy: ALICE, approvals: [{ by: BOB, digest: older }] }, policy(1), digest, verifier);
    expect(verdict.valid).toEqual([]);
    expect(verdict.satisfied).toBe(false);
    expect(verdict.rejected[0]).toMatchObject({ reason: 'older-digest', detail: expect.stringMatching(/older freeze.*binds to content/) });
  });

  it('does not count the freezer, whatever name they use, unless distinctFromFreezer is false', async () => {
    const lock = { frozenBy: ALICE, approvals: [{ by: 'A. Operator <ALICE@example.test>', digest }] };
    const verdict = await evaluateApprovals(lock, policy(1), digest, verifier);
    expect(verdict.valid).toEqual([]);
    expect(verdict.rejected[0]).toMatchObject({ reason: 'freezer', detail: expect.stringContaining('froze this lock') });
    const allowed = await evaluateApprovals(lock, policy(1, { distinctFromFreezer: false }), digest, verifier);
    expect(allowed.valid).toHaveLength(1);
  });

  it('counts no unsigned approval when the policy names an allowed-signers file', async () => {
    const verdict = await evaluateApprovals(
      { frozenBy: ALICE, approvals: [{ by: BOB, digest }] },
      policy(1, { signers: '.cutover/allowed_signers' }),
      digest,
      verifier,
    );
    expect(verdict).toMatchObject({ satisfied: false, signers: '.cutover/allowed_signers', valid: [] });
    expect(verdict.rejected[0]).toMatchObject({ reason: 'unsigned', detail: expect.stringContaining('cutover approve --key') });
  });

  it('is satisfied with none when none are required, and with no lock', async () => {
    expect(await evaluateApprovals(null, policy(0), digest, verifier)).toEqual({ required: 0, satisfied: true, valid: [], rejected: [] });
    expect((await evaluateApprovals(null, policy(1), digest, verifier)).satisfied).toBe(false);
  });
});
