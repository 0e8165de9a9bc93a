// Which process left a file: a tag in the file's name lets a later process tell a dead owner from a live one.
import { sha256Hex } from '../text/digest.js';
import { hostname } from 'node:os';
import { processStartTime } from './process-group.js';
import { processAlive } from './process-status.js';

// A short digest of the host name: names stay portable whatever the host is called.
const HOST = sha256Hex(hostname()).slice(0, 8);

/** The shape of an owner tag, for patterns that find tagged names: `<host>-<pid>-<start time>`. */
export const OWNER_TAG = '[0-9a-f]{8}-\\d+-\\d+';

/** This process as `<host>-<pid>-<start time>`, for the names of files it leaves only while it runs. */
export function ownerTag(): string {
  return `${HOST}-${process.pid}-${processStartTime(process.pid) ?? '0'}`;
}

/**
 * True when the process a tag names is certainly gone: it ran on this host, and its pid is dead or
 * now names a process started at another time. A tag from another host (a shared file system) is
 * never guessed at.
 */
export function ownerGone(tag: string): boolean {
  const match = /^([0-9a-f]{8})-(\d+)-(\d+)$/.exec(tag);
  if (!match || match[1] !== HOST) return false;
  const pid = Number(match[2]);
  if (!processAlive(pid)) return true;
  const started = processStartTime(pid);
  return match[3] !== '0' && started !== undefined && started !== match[3];
}
