// statement.json: an in-toto Statement v1 whose subjects are the run's artifacts (and its run.json).
import { hash } from 'node:crypto';
import { parseRoot } from '../integrity/merkle.js';
import { RECORD_VERSION, type RunJson } from './run-record.js';

/** The in-toto Statement type this file follows. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/**
 * Our predicate's TypeURI. A TypeURI need not resolve; `.invalid` (RFC 2606) guarantees it names no
 * real host, where a `urn:` would need a registered namespace (RFC 8141).
 */
export const PREDICATE_TYPE = 'https://cutover.invalid/run-record/v1';

/**
 * DigestSet key of our Merkle root (cutover-manifest/v1, lowercase hex without the `sha256:` prefix).
 * Not a registered algorithm: consumers that do not know it ignore it, as the spec requires.
 */
export const MERKLE_DIGEST_KEY = 'cutoverMerkleRoot';

/** One in-toto ResourceDescriptor as we write it. */
export interface Subject {
  name: string;
  digest: Record<string, string>;
  annotations?: Record<string, string | number>;
}

/** The statement document. */
export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: {
    recordVersion: string;
    plan: RunJson['plan'];
    lock: RunJson['lock'];
    freezeDigest: string;
    runId: string;
    outcome: RunJson['outcome'];
    exitCode: number;
    commit: string;
    startedAt: string;
    endedAt: string;
    manifestFormat: string;
    runRoot: string;
    record: { dir: string; runJson: string };
    /** Present on a rehearsal's statement, so that no signer takes it for evidence. */
    rehearsal?: true;
  };
}

/** Lowercase hex SHA-256 of text (UTF-8). */
export function sha256Hex(text: string | Uint8Array): string {
  return hash('sha256', text, 'hex');
}

/**
 * The statement of a record. Subjects: run.json (`sha256` of its bytes), then every artifact present
 * at the end of the run, named by its repository path, with `dirHash` (the SHA-256 of its manifest,
 * in-toto's registered directory hash: `sha256sum` lines sorted by path bytes), our Merkle root under
 * `cutoverMerkleRoot`, and for a single-file artifact the file's own `sha256`.
 * `manifests` maps an artifact name to its manifest text.
 */
export function buildStatement(run: RunJson, texts: { runJson: string; manifests: Readonly<Record<string, string>> }): Statement {
  const runJsonPath = `${run.record.dir}/run.json`;
  const subject: Subject[] = [{ name: runJsonPath, digest: { sha256: sha256Hex(texts.runJson) } }];
  for (const artifact of run.artifacts) {
    if (!artifact.present) continue;
    const manifest = texts.manifests[artifact.name] ?? '';
    const digest: Record<string, string> = { dirHash: sha256Hex(manifest) };
    const root = parseRoot(artifact.root);
    if (root) digest[MERKLE_DIGEST_KEY] = root.toString('hex');
    if (artifact.kind === 'file' && /^[0-9a-f]{64}  [^\n]*\n$/.test(manifest)) digest.sha256 = manifest.slice(0, 64);
    subject.push({ name: artifact.path, digest, annotations: { artifact: artifact.name, files: artifact.files, bytes: artifact.bytes } });
  }
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: PREDICATE_TYPE,
    predicate: {
      recordVersion: RECORD_VERSION,
      plan: run.plan,
      lock: run.lock,
      freezeDigest: run.freezeDigest,
      runId: run.runId,
      outcome: run.outcome,
      exitCode: run.exitCode,
      commit: run.commit,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      manifestFormat: run.manifestFormat,
      runRoot: run.runRoot,
      record: { dir: run.record.dir, runJson: runJsonPath },
      ...(run.rehearsal ? { rehearsal: true as const } : {}),
    },
  };
}
