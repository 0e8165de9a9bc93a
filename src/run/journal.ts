// An append-only JSONL journal of a run's step events, fsynced as it goes, so a crashed run can resume.
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Masker } from '../text/mask.js';
import type { StepRecord } from './events.js';
import type { Distributed } from './result.js';

/** One line of the journal. */
export type JournalEntry =
  | {
      type: 'run-start';
      runId: string;
      planDigest: string;
      lockDigest: string;
      startedAt: string;
      commit: string;
      boundaries?: Record<string, string>;
    }
  | { type: 'step-spawn'; id: string; pgid: number; startTime?: string }
  | { type: 'step-end'; step: StepRecord }
  | { type: 'boundary'; name: string; at: string }
  | { type: 'run-end'; outcome: string; endedAt: string }
  /** A join's start: the runners of the other parts, and the problems they found (docs/runs.md, "One run over many runners"). */
  | { type: 'join'; distributed: Distributed; problems: string[] };

/** An open journal that appends durably. */
export interface Journal {
  append(entry: JournalEntry): void;
  close(): void;
}

/**
 * Opens (creating) a journal for appending; the directory is fsynced so the file survives a crash.
 * Each line is masked as it is written (inside its JSON strings, so it still reads back).
 */
export async function openJournal(path: string, masker: Masker): Promise<Journal> {
  await mkdir(dirname(path), { recursive: true });
  const fd = openSync(path, 'a', 0o644);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return {
    // Synchronous on purpose: an entry is written before the run moves on (and before a signal exit).
    // A write survives kill -9 as it is; fsync makes it survive a crash of the machine too, which only
    // an entry that outlives the machine's processes needs (a step's process group dies with it).
    append(entry) {
      writeSync(fd, `${masker.maskJson(JSON.stringify(entry))}\n`);
      if (entry.type !== 'step-spawn') fdatasyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Reads a journal's entries; a torn last line (a crash mid-write) is ignored. */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      break;
    }
  }
  return entries;
}

/** Removes a finished run's journal. */
export async function removeJournal(path: string): Promise<void> {
  await rm(path, { force: true });
}
