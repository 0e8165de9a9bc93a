// Reading and resolving without following links: readRegularFile, resolveInside with links: 'none',
// and the owner tags that tell a dead process's leftovers from a live one's.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile, resolveInside } from '../../../src/adapters/fs.js';
import { ownerGone, ownerTag } from '../../../src/adapters/owner.js';
import { tempDir } from '../../helpers/git-repo.js';

describe('readRegularFile', () => {
  it('reads a regular file within its bound, whole or streamed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'hello\n');
    expect(await readRegularFile(join(dir, 'f'), 6)).toEqual({ bytes: Buffer.from('hello\n'), size: 6 });
    const chunks: Buffer[] = [];
    expect(await readRegularFile(join(dir, 'f'), 100, (c) => chunks.push(c))).toEqual({ bytes: Buffer.alloc(0), size: 6 });
    expect(Buffer.concat(chunks).toString()).toBe('hello\n');
  });

  it.each([
    ['a link to a file', (dir: string) => symlinkSync(join(dir, 'real'), join(dir, 'f')), 'is a symbolic link'],
    ['a link to /dev/zero', (dir: string) => symlinkSync('/dev/zero', join(dir, 'f')), 'is a symbolic link'],
    ['a FIFO nobody writes to', (dir: string) => execFileSync('mkfifo', [join(dir, 'f')]), 'is a FIFO, not a regular file'],
    ['a folder', (dir: string) => mkdirSync(join(dir, 'f')), 'is a folder, not a regular file'],
    ['nothing', () => undefined, 'is missing'],
    ['a file over the bound', (dir: string) => writeFileSync(join(dir, 'f'), 'x'.repeat(11)), 'is 11 bytes, more than the 10 expected'],
  ])('refuses %s, at once', async (_label, make, problem) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real'), 'real\n');
    make(dir);
    expect(await readRegularFile(join(dir, 'f'), 10)).toMatchObject({ problem });
  });
});

describe("resolveInside with links: 'none'", () => {
  it('refuses a link anywhere on the way, even one that stays inside; the default allows that one', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'real'));
    symlinkSync('real', join(root, 'inside'));
    await expect(resolveInside(root, 'inside/x')).resolves.toBe(join(root, 'inside/x'));
    await expect(resolveInside(root, 'inside/x', { links: 'none' })).rejects.toMatchObject({
      code: 'PATH_UNSAFE',
      message: expect.stringContaining('"inside"'),
    });
    await expect(resolveInside(root, 'inside', { links: 'none' })).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    await expect(resolveInside(root, 'real/new/deeper', { links: 'none' })).resolves.toBe(join(root, 'real/new/deeper'));
  });
});

describe('owner tags', () => {
  it('a live process is not gone; a dead one on this host is; another host is never guessed at', () => {
    const [host, pid, start] = ownerTag().split('-');
    expect(Number(pid)).toBe(process.pid);
    expect(ownerGone(ownerTag())).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(ownerGone(`${host}-${dead}-${start}`)).toBe(true);
    expect(ownerGone(`${host}-${process.pid}-${Number(start) + 1}`)).toBe(true); // the pid now names another process
    expect(ownerGone(`00000000-${dead}-1`)).toBe(false);
    expect(ownerGone('not-a-tag')).toBe(false);
  });
});
