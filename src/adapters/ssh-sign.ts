// SSH signatures through ssh-keygen -Y (OpenSSH 8.2 or later), the mechanism git uses for SSH-signed commits.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CutoverError } from '../errors.js';

/** A signature checked against the key inside it: the key's fingerprint, or why it does not verify. */
export type SignatureCheck = { ok: true; fingerprint: string } | { ok: false; error: string };

/** A signature checked against an allowed-signers file for one principal. */
export type SignerCheck = { ok: true } | { ok: false; error: string };

/**
 * Checks signatures for one namespace, against one allowed-signers file (its bytes; null when the
 * policy names none). Every call runs ssh-keygen on temporary copies, so nothing is left behind.
 */
export interface SignatureVerifier {
  /** Whether `signature` verifies over `message` with the key it carries (`-Y check-novalidate`). */
  check(message: string, signature: string): Promise<SignatureCheck>;
  /** Whether the signers file lets `principal` make `signature` over `message` (`-Y verify`). */
  verify(message: string, signature: string, principal: string): Promise<SignerCheck>;
  /** The principals of the signers file that hold the key that made `signature` (`-Y find-principals`). */
  principalsOf(signature: string): Promise<string[]>;
  /** Whether the signers file names `principal` at all (`-Y match-principals`, OpenSSH 8.9); undefined when ssh-keygen cannot say. */
  knows(principal: string): Promise<boolean | undefined>;
}

const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';
const FINGERPRINT = / key (SHA256:[A-Za-z0-9+/]+)\s*$/m;
const UNSUPPORTED = /unknown option|illegal option|Unsupported operation|^usage:/im;
const TOOL_HINT = 'install OpenSSH 8.2 or later: ssh-keygen -Y signs and verifies approvals';

/** A verifier for `namespace` over an allowed-signers file's bytes (null: no file; `verify` then always fails). */
export function sshVerifier(namespace: string, signers: Uint8Array | null): SignatureVerifier {
  return {
    check: async (message, signature) =>
      withFiles({ sig: armor(signature) }, async (files) => {
        const run = await sshKeygen(['-Y', 'check-novalidate', '-n', namespace, '-s', files.sig], message);
        const fingerprint = FINGERPRINT.exec(run.stdout)?.[1];
        if (run.exitCode === 0 && fingerprint) return { ok: true, fingerprint };
        return { ok: false, error: lastLine(run.stderr) || 'the signature does not verify' };
      }),
    verify: async (message, signature, principal) => {
      if (!signers) return { ok: false, error: 'no allowed-signers file' };
      return withFiles({ sig: armor(signature), signers }, async (files) => {
        const run = await sshKeygen(['-Y', 'verify', '-f', files.signers, '-I', principal, '-n', namespace, '-s', files.sig], message);
        return run.exitCode === 0 ? { ok: true } : { ok: false, error: lastLine(run.stderr) || 'the signature does not verify' };
      });
    },
    principalsOf: async (signature) => {
      if (!signers) return [];
      return withFiles({ sig: armor(signature), signers }, async (files) => {
        const run = await sshKeygen(['-Y', 'find-principals', '-s', files.sig, '-f', files.signers]);
        return run.exitCode === 0
          ? run.stdout
              .split('\n')
              .map((line) => line.trim())
              .filter(Boolean)
          : [];
      });
    },
    knows: async (principal) => {
      if (!signers) return false;
      return withFiles({ signers }, async (files) => {
        const run = await sshKeygen(['-Y', 'match-principals', '-I', principal, '-f', files.signers], undefined, {
          unsupportedIsError: false,
        });
        if (run.unsupported) return undefined;
        return run.exitCode === 0 && run.stdout.trim() !== '';
      });
    },
  };
}

/**
 * Signs `message` with an SSH key (`-Y sign`): a private key file, or a public key whose private
 * half an ssh-agent holds (as git's `user.signingKey`). Returns the signature as one base64 line.
 */
export async function signMessage(
  message: string,
  key: string,
  namespace: string,
  { env }: { env: Record<string, string | undefined> },
): Promise<string> {
  const run = await sshKeygen(['-Y', 'sign', '-f', key, '-n', namespace], message, { env });
  const signature = dearmor(run.stdout);
  if (run.exitCode !== 0 || signature === undefined) {
    throw new CutoverError('APPROVAL_REFUSED', `ssh-keygen could not sign with ${key}: ${lastLine(run.stderr) || `exit ${run.exitCode}`}`, {
      hint: 'name a private key file, or a public key whose private key ssh-agent holds; a key with a passphrase asks for it on the terminal',
    });
  }
  return signature;
}

/** The armored form ssh-keygen reads, from the one-line base64 form a lock keeps. */
export function armor(signature: string): string {
  return `${ARMOR_BEGIN}\n${signature.match(/.{1,70}/g)?.join('\n') ?? ''}\n${ARMOR_END}\n`;
}

/** The one-line base64 form of an armored signature, or undefined when the text is not one. */
export function dearmor(text: string): string | undefined {
  const match = new RegExp(`${ARMOR_BEGIN}\\n([A-Za-z0-9+/=\\n]+?)\\n?${ARMOR_END}`).exec(text.replace(/\r\n/g, '\n'));
  return match?.[1]?.replace(/\n/g, '');
}

interface KeygenRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  unsupported: boolean;
}

// One ssh-keygen call; a missing ssh-keygen, or one too old for the operation, is SSH_UNAVAILABLE.
async function sshKeygen(
  args: string[],
  input?: string,
  options: { env?: Record<string, string | undefined>; unsupportedIsError?: boolean } = {},
): Promise<KeygenRun> {
  const result = await execa('ssh-keygen', args, {
    reject: false,
    stripFinalNewline: false,
    ...(input === undefined ? { stdin: 'ignore' } : { input }),
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new CutoverError('SSH_UNAVAILABLE', 'ssh-keygen is not installed, so SSH signatures cannot be made or checked', {
      hint: TOOL_HINT,
    });
  }
  const stderr = String(result.stderr ?? '');
  const unsupported = result.exitCode !== 0 && UNSUPPORTED.test(stderr);
  if (unsupported && options.unsupportedIsError !== false) {
    throw new CutoverError(
      'SSH_UNAVAILABLE',
      `this ssh-keygen cannot run "${args.slice(0, 2).join(' ')}": ${lastLine(stderr.split('\n')[0] ?? '')}`,
      { hint: TOOL_HINT },
    );
  }
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr, unsupported };
}

// Temporary copies of a signature and a signers file, removed when the call is done.
async function withFiles<K extends string, T>(
  contents: Record<K, string | Uint8Array>,
  use: (files: Record<K, string>) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-ssh-'));
  try {
    const files = {} as Record<K, string>;
    for (const [name, data] of Object.entries(contents) as [K, string | Uint8Array][]) {
      files[name] = join(dir, name);
      await writeFile(files[name], data, { mode: 0o600 });
    }
    return await use(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => !/^Signing data on standard input/.test(line))
      .pop()
      ?.trim() ?? ''
  );
}
