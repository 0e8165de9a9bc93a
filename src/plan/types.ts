// The plan as data, mirroring schemas/cutover-plan.schema.json (a test keeps the two in step).

/** A `json` expectation: a value in a JSON file a step wrote. */
export interface JsonExpectation {
  file: string;
  path: string;
  equals?: unknown;
  lte?: number;
  gte?: number;
  in?: unknown[];
}

/** What must hold after a step. */
export interface Expect {
  exitCode?: number | number[];
  exists?: string[];
  absent?: string[];
  json?: JsonExpectation[];
  stdout?: string;
}

/** Built-in step kinds. */
export type BuiltIn = 'assert' | 'determinism' | 'snapshot' | 'restore';

/** Matrix values read from a frozen JSON file: the list at a dotted path. */
export interface MatrixFile {
  file: string;
  path: string;
}

/** A step's matrix: one name mapped to its values, written out or read from a file. */
export type Matrix = Record<string, string[] | MatrixFile>;

/** One step, in any phase. */
export interface Step {
  id: string;
  name?: string;
  needs?: string[];
  matrix?: Matrix;
  run?: string | string[];
  shell?: 'bash' | 'sh';
  uses?: BuiltIn;
  with?: { rerun?: string[]; paths?: string[]; name?: string };
  cwd?: string;
  env?: Record<string, string>;
  timeout?: string;
  retries?: { count: number; delay?: string };
  continueOnError?: boolean;
  if?: string;
  expect?: Expect;
  produces?: string[];
  boundary?: string;
}

/** A named group of frozen files. */
export interface FileGroup {
  name: string;
  paths: string[];
}

/** An artifact a run produces. */
export interface Artifact {
  name: string;
  path: string;
  commit?: 'manifest' | 'files';
  roots?: 'none' | 'children';
}

/** The phases steps belong to, in the order they run. */
export const PHASES = ['preconditions', 'steps', 'rollback', 'finally'] as const;
export type Phase = (typeof PHASES)[number];

/** A plan as written (after schema validation). */
export interface Plan {
  apiVersion: 'cutover/v1';
  kind: 'Plan';
  metadata: { name: string; description?: string };
  spec: {
    runId?: string;
    window?: { notBefore?: string; notAfter?: string };
    env?: Record<string, string>;
    secrets?: string[];
    approvals?: { required?: number; signers?: string; distinctFromFreezer?: boolean };
    concurrency?: number;
    inputs?: FileGroup[];
    registries?: FileGroup[];
    preconditions?: Step[];
    steps: Step[];
    rollback?: Step[];
    finally?: Step[];
    artifacts?: Artifact[];
    record?: { dir?: string; push?: boolean };
  };
}
