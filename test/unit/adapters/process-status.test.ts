import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupHasLiveMember, parseProcessStat, processAlive, readProcessStat } from '../../../src/adapters/process-status.js';

const hasProc = readProcessStat(process.pid) !== undefined;

describe('parseProcessStat', () => {
  it('reads state, group and start time after a command name that holds spaces and parentheses', () => {
    const fields = [
      'S',
      '1',
      '4242',
      '4242',
      '0',
      '-1',
      '4194560',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '20',
      '0',
      '1',
      '0',
      '987654',
      '0',
    ];
    expect(parseProcessStat(`4242 (my (odd) name) ${fields.join(' ')}`)).toEqual({ state: 'S', pgrp: 4242, startTime: '987654' });
  });

  it('is undefined for text that is not a stat line', () => {
    expect(parseProcessStat('')).toBeUndefined();
    expect(parseProcessStat('4242 (short) S 1')).toBeUndefined();
  });
});

describe.skipIf(!hasProc)('on this host', () => {
  it('sees this process alive, with its own group and a start time', () => {
    const stat = readProcessStat(process.pid)!;
    expect(processAlive(process.pid)).toBe(true);
    expect(stat.startTime).toMatch(/^\d+$/);
  });

  it('sees a zombie as not alive, and a group as live while a member runs', async () => {
    // `sleep 0` ends at once and its parent, exec'd into `sleep 30`, never reaps it: a zombie.
    const child = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    for (let i = 0; i < 100 && readProcessStat(zombie)?.state !== 'Z'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readProcessStat(zombie)?.state).toBe('Z');
    expect(processAlive(zombie)).toBe(false);
    expect(await groupHasLiveMember(child.pid!)).toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  });
});
