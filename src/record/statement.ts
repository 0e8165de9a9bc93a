// statement.json: an in-toto Statement v1 whose subjects are files with a sha256 (run.json, each manifest, each single-file artifact), so standard tools can match them.
import { Buffer } from 'node:buffer';
import { parseRoot } from '../integrity/merkle.js';
import type { ArtifactResult } from '../run/result.js';
import { RECORD_VERSION, type RunJson, type RunJsonArtifact } from './run-record.js';
import { sha256Hex } from '../text/digest.js';

/** The in-toto Statement type this file follows. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** The project's canonical repository: the predicate type, the schema's `$id` and the package metadata all point into it. */
export const REPOSITORY_URL = 'https://github.com/cutover-dev/cutover';

/** Our predicate's TypeURI: it resolves to the predicate's documentation (docs/predicate.md), its major version in the anchor. */
export const PREDICATE_TYPE = `${REPOSITORY_URL}/blob/main/docs/predicate.md#run-record-v1`;

/** The predicate type of records written before the manifests became subjects; `verify` still accepts their statements. */
export const LEGACY_PREDICATE_TYPE = 'https://cutover.invalid/run-record/v1';

/**
 * Annotation and legacy DigestSet key of our Merkle root (cutover-manifest/v1, lowercase hex without the `sha256:` prefix).
 * Not a registered algorithm: consumers that do not know it ignore it, as the spec requires.
 */
export const MERKLE_DIGEST_KEY = 'cutoverMerkleRoot';

/** One in-toto ResourceDescriptor as we write it. */
export interface Subject {
  name: string;
  digest: Record<string, string>;
  annotations?: Record<string, string | number>;
}

/** An artifact's place, presence, size and root: what the predicate and the run summary both say of it. */
export type ArtifactSummary = Pick<ArtifactResult, 'name' | 'path' | 'present' | 'files' | 'bytes' | 'root'>;

/** An artifact as the predicate describes it: where it is, and its directory hash and Merkle root when present. */
export interface PredicateArtifact extends ArtifactSummary {
  /** in-toto's registered directory hash of the artifact: the manifest's SHA-256 (lowercase hex). */
  dirHash?: string;
  /** The subject that carries the manifest. */
  manifest?: string;
}

/** The predicate: a summary of run.json, which is itself a subject. */
export interface Predicate {
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
  artifacts: PredicateArtifact[];
  /** Present on a rehearsal's statement, so that no signer takes it for evidence. */
  rehearsal?: true;
}

/** The statement document. */
export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: Predicate;
}

/** What a statement says of a manifest: its SHA-256 (hex), and its text when it is one line (a single file's). */
export interface ManifestFacts {
  sha256: string;
  line?: string;
}

/**
 * What a statement is built from: run.json's exact text and, by artifact name, each manifest's text
 * or its facts (the record writer digests a manifest as it writes it, never holding it whole).
 */
export interface StatementTexts {
  runJson: string;
  manifests: Readonly<Record<string, string | ManifestFacts>>;
}

/** The facts of a manifest, as text or its UTF-8 bytes. */
export function manifestFacts(manifest: string | Uint8Array): ManifestFacts {
  const oneLine =
    typeof manifest === 'string' ? manifest.indexOf('\n') === manifest.length - 1 : manifest.indexOf(0x0a) === manifest.length - 1;
  const line = oneLine ? (typeof manifest === 'string' ? manifest : Buffer.from(manifest).toString('utf8')) : undefined;
  return { sha256: sha256Hex(manifest), ...(line !== undefined ? { line } : {}) };
}

// An artifact's manifest facts: the empty manifest's when there is none.
function factsOf(texts: StatementTexts, name: string): ManifestFacts {
  const given = texts.manifests[name] ?? '';
  return typeof given === 'string' ? manifestFacts(given) : given;
}

/**
 * The statement of a record. Every subject is a file named by its repository path with its `sha256`:
 * run.json; for every artifact present at the end of the run its manifest `manifests/<name>.sha256`
 * (whose SHA-256 is the artifact's in-toto `dirHash`), annotated with the artifact and its Merkle
 * root; and a single-file artifact itself. `gh attestation verify FILE` and cosign match a file by
 * exactly that digest.
 */
export function buildStatement(run: RunJson, texts: StatementTexts): Statement {
  const runJsonPath = `${run.record.dir}/run.json`;
  const subject: Subject[] = [{ name: runJsonPath, digest: { sha256: sha256Hex(texts.runJson) } }];
  for (const artifact of run.artifacts) {
    if (!artifact.present || !artifact.manifest) continue;
    const manifest = factsOf(texts, artifact.name);
    const merkle = parseRoot(artifact.root)?.toString('hex');
    subject.push({
      name: `${run.record.dir}/${artifact.manifest}`,
      digest: { sha256: manifest.sha256 },
      annotations: {
        artifact: artifact.name,
        path: artifact.path,
        files: artifact.files,
        bytes: artifact.bytes,
        ...(merkle ? { [MERKLE_DIGEST_KEY]: merkle } : {}),
      },
    });
    const file = singleFileDigest(artifact, manifest);
    if (file) subject.push({ name: artifact.path, digest: { sha256: file }, annotations: { artifact: artifact.name } });
  }
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: PREDICATE_TYPE,
    predicate: {
      ...predicateSummary(run, runJsonPath),
      artifacts: run.artifacts.map((a) => ({
        ...artifactSummary(a),
        ...(a.present && a.manifest ? { dirHash: factsOf(texts, a.name).sha256, manifest: `${run.record.dir}/${a.manifest}` } : {}),
      })),
    },
  };
}

/**
 * The subjects as a `sha256sum` checksums file (`<hex>  <name>` a line): what `actions/attest` takes
 * as `subject-checksums`, so an attestation names exactly the subjects of statement.json.
 */
export function subjectChecksums(statement: Pick<Statement, 'subject'>): string {
  return statement.subject.map((s) => `${s.digest.sha256}  ${s.name}\n`).join('');
}

/**
 * The statement a record written before manifests became subjects holds: directory subjects with
 * `dirHash` and the Merkle root, under the legacy predicate type. Only `verify` needs it.
 */
export function buildLegacyStatement(run: RunJson, texts: StatementTexts) {
  const runJsonPath = `${run.record.dir}/run.json`;
  const subject: Subject[] = [{ name: runJsonPath, digest: { sha256: sha256Hex(texts.runJson) } }];
  for (const artifact of run.artifacts) {
    if (!artifact.present) continue;
    const manifest = factsOf(texts, artifact.name);
    const digest: Record<string, string> = { dirHash: manifest.sha256 };
    const root = parseRoot(artifact.root);
    if (root) digest[MERKLE_DIGEST_KEY] = root.toString('hex');
    const file = singleFileDigest(artifact, manifest);
    if (file) digest.sha256 = file;
    subject.push({ name: artifact.path, digest, annotations: { artifact: artifact.name, files: artifact.files, bytes: artifact.bytes } });
  }
  return { _type: STATEMENT_TYPE, subject, predicateType: LEGACY_PREDICATE_TYPE, predicate: predicateSummary(run, runJsonPath) };
}

// A single-file artifact's manifest is one line; its digest is the file's own.
function singleFileDigest(artifact: RunJsonArtifact, manifest: ManifestFacts): string | undefined {
  const line = manifest.line;
  return artifact.kind === 'file' && line !== undefined && /^[0-9a-f]{64} {2}[^\n]*\n$/.test(line) ? line.slice(0, 64) : undefined;
}

function predicateSummary(run: RunJson, runJsonPath: string): Omit<Predicate, 'artifacts'> {
  return {
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
  };
}

/** What a statement and the run summary say of an artifact: where it is, whether present, its size and root. */
export function artifactSummary(a: ArtifactSummary): ArtifactSummary {
  return { name: a.name, path: a.path, present: a.present, files: a.files, bytes: a.bytes, root: a.root };
}
