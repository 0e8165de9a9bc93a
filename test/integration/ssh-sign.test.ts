// The ssh-keygen adapter: armor round trip, a signature checked against its own key and a signers file, and a missing ssh-keygen.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CutoverError } from '../../src/errors.js';
import { armor, dearmor, signMessage, sshVerifier } from '../../src/adapters/ssh-sign.js';
import { tempDir } from '../helpers/git-repo.js';

const NS = 'cutover-approval';

function key(comment: string): { key: string; line: string; fingerprint: string } {
  const path = join(tempDir('cutover-keys-'), 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
  return { key: path, line: readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' '), fingerprint };
}

describe('ssh-sign', () => {
  it('signs, and checks a signature by its own key, by the signers file, and by principal', async () => {
    const bob = key('bob');
    const eve = key('eve');
    const signature = await signMessage('sha256:abc\n', bob.key, NS, { env: process.env });
    expect(dearmor(armor(signature))).toBe(signature);
    const signers = Buffer.from(`bob@example.test ${bob.line}\ncarol@example.test,ops@example.test ${eve.line}\n`);
    const verifier = sshVerifier(NS, signers);
    expect(await verifier.check('sha256:abc\n', signature)).toEqual({ ok: true, fingerprint: bob.fingerprint });
    expect(await verifier.check('sha256:abd\n', signature)).toMatchObject({ ok: false });
    expect(await verifier.verify('sha256:abc\n', signature, 'bob@example.test')).toEqual({ ok: true });
    expect(await verifier.verify('sha256:abc\n', signature, 'carol@example.test')).toMatchObject({ ok: false });
    expect(await verifier.principalsOf(signature)).toEqual(['bob@example.test']);
    expect(await verifier.knows('ops@example.test')).toBe(true);
    expect(await verifier.knows('mallory@example.test')).toBe(false);
    // Another namespace's signature never verifies as this one.
    const other = await signMessage('sha256:abc\n', bob.key, 'git', { env: process.env });
    expect(await verifier.check('sha256:abc\n', other)).toMatchObject({ ok: false });
    expect(await sshVerifier(NS, null).verify('sha256:abc\n', signature, 'bob@example.test')).toMatchObject({ ok: false });
  });

  it('refuses a key it cannot use, and says when ssh-keygen is missing', async () => {
    const missing = signMessage('x\n', join(tempDir(), 'no-such-key'), NS, { env: process.env });
    await expect(missing).rejects.toMatchObject({ code: 'APPROVAL_REFUSED' });
    const bob = key('bob');
    const error = await signMessage('x\n', bob.key, NS, { env: { PATH: tempDir() } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutoverError);
    expect(error).toMatchObject({ code: 'SSH_UNAVAILABLE', exitCode: 3, hint: expect.stringContaining('OpenSSH 8.2') });
  });
});
