// A verification check and how one is made: what was checked, whether it held, the files at fault.

/** One verification check: what was checked, whether it held, and the files that did not. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  files?: string[];
}

/** A file's recomputed SHA-256 (`sha256:<hex>`) and size. */
export interface FileDigest {
  digest: string;
  bytes: number;
}

/** A check that held. */
export const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
/** A check that did not hold, naming the files at fault. */
export const fail = (name: string, detail: string, files?: string[]): Check => ({
  name,
  ok: false,
  detail,
  ...(files?.length ? { files } : {}),
});
