import { describe, expect, it } from 'vitest';
import { hashProgressText, hashSummaryText } from '../../../src/ui/progress.js';

const MIB = 1024 * 1024;

describe('hashing progress', () => {
  it('shows how far, how fast and what is left, from the bytes hashed so far', () => {
    const text = hashProgressText({ files: 250, bytes: 100 * MIB, totalFiles: 1000, totalBytes: 400 * MIB }, 2000);
    expect(text).toContain('[#####---------------] 250/1,000 files');
    expect(text).toContain('100.0 MiB of 400.0 MiB');
    expect(text).toContain('50.0 MiB/s');
    expect(text).toContain('125 files/s');
    expect(text).toContain('6.0 s left');
  });

  it('gives no rate before there is one to give, and nothing left once done', () => {
    expect(hashProgressText({ files: 0, bytes: 0, totalFiles: 10, totalBytes: 10 * MIB }, 50)).not.toContain('/s');
    expect(hashProgressText({ files: 10, bytes: 10 * MIB, totalFiles: 10, totalBytes: 10 * MIB }, 1000)).not.toContain('left');
  });

  it('goes by files when the total size is not known beforehand', () => {
    const text = hashProgressText({ files: 250, bytes: 100 * MIB, totalFiles: 1000 }, 2000);
    expect(text).toContain('[#####---------------] 250/1,000 files, 100.0 MiB, 50.0 MiB/s');
    expect(text).toContain('6.0 s left');
    expect(hashProgressText({ files: 0, bytes: 64 * MIB, totalFiles: 4 }, 1000)).not.toContain('left');
  });

  it('while the files are still being listed, shows the count so far as a floor and no time left', () => {
    const text = hashProgressText({ files: 250, bytes: 100 * MIB, totalFiles: 300, counting: true }, 2000);
    expect(text).toContain('[--------------------] 250/300+ files, 100.0 MiB, 50.0 MiB/s');
    expect(text).not.toContain('left');
  });

  it('sums up in one line for a log', () => {
    expect(hashSummaryText({ files: 100_000, bytes: 400 * MIB, totalFiles: 100_000, totalBytes: 400 * MIB }, 2000)).toBe(
      'hashed 100,000 files, 400.0 MiB in 2.0 s (200 MiB/s, 50,000 files/s)',
    );
  });
});
