// A matrix read from a file runs only with the bytes the lock froze: the shard list is frozen like every input.
import { CutoverError } from '../errors.js';
import { GROUP_KINDS } from '../integrity/lock.js';
import { lockText, parseLock } from '../integrity/lock-parse.js';
import { sha256Digest } from '../text/digest.js';

/**
 * Refuses (exit 3) when a matrix file the plan was resolved with is not in the lock with exactly the
 * bytes read. Without a lock the freeze gate refuses the run anyway, naming the lock.
 */
export function assertMatrixFrozen(read: ReadonlyMap<string, Uint8Array>, lockBytes: Uint8Array | undefined, lockFile: string): void {
  if (read.size === 0 || !lockBytes) return;
  const lock = parseLock(lockText(lockBytes, lockFile), lockFile);
  const groups = GROUP_KINDS.flatMap((kind) => Object.values(lock[kind]));
  for (const [file, bytes] of read) {
    const locked = groups.find((g) => Object.hasOwn(g.files, file))?.files[file];
    // The lock lists files by bare hex digest.
    if (locked !== undefined && sha256Digest(bytes) === `sha256:${locked}`) continue;
    throw new CutoverError(
      'REGISTRY_UNFROZEN',
      `matrix file ${file} ${locked === undefined ? 'is not in the lock' : 'differs from the lock'}: its shard list is not the one frozen`,
      {
        hint: 'restore the file, or freeze the plan again (`cutover freeze`) and have the lock reviewed',
      },
    );
  }
}
