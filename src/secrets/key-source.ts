import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Log } from '../logger.js';
import type { SecretKeySource } from './secret-box.js';
import { SecretError } from './secret-error.js';
import { SECRET_KEY_RULE, SecretKey } from './secret-key.js';

export interface KeySourceOptions {
  /** `HEO_SECRET_KEY`, when set. */
  readonly configured: SecretKey | null;
  /**
   * Where the embedded default keeps a generated key (next to its SQLite file); `null` for a
   * shared store, where every instance must be given the same `HEO_SECRET_KEY`.
   */
  readonly keyFile: string | null;
  readonly logger: Log;
}

const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * `HEO_SECRET_KEY` when set; otherwise, on the embedded default, a key file created with mode
 * 0600 the first time a credential is sealed. The key is read once and kept in memory.
 */
export class KeySource implements SecretKeySource {
  readonly #options: KeySourceOptions;
  #key: SecretKey | undefined;

  constructor(options: KeySourceOptions) {
    this.#options = options;
    if (options.configured !== null) this.#key = options.configured;
  }

  forSealing(): SecretKey {
    return this.#key ?? this.#fromFile(true);
  }

  forOpening(): SecretKey {
    return this.#key ?? this.#fromFile(false);
  }

  #fromFile(create: boolean): SecretKey {
    const path = this.#options.keyFile;
    if (path === null) {
      throw new SecretError(
        'HEO_SECRET_KEY is not set: a shared database needs it to seal and open provider credentials (give every instance and the CLI the same key)',
      );
    }
    let key = this.#read(path);
    if (key === undefined) {
      if (!create) {
        throw new SecretError(
          `no secret key: HEO_SECRET_KEY is not set and the key file ${path} does not exist, so stored provider credentials cannot be opened`,
        );
      }
      key = this.#create(path);
    }
    this.#key = key;
    return key;
  }

  #read(path: string): SecretKey | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw new SecretError(
        `cannot read the secret key file ${path} (${errnoOf(error) ?? 'error'})`,
      );
    }
    const key = SecretKey.parse(text);
    if (key === null)
      throw new SecretError(`the secret key file ${path} does not hold ${SECRET_KEY_RULE}`);
    if ((statSync(path).mode & 0o077) !== 0) {
      this.#options.logger.warn(
        { keyFile: path },
        'the secret key file is readable by other users: run "chmod 600" on it',
      );
    }
    return key;
  }

  /** Written under a temporary name and linked into place, so a reader never sees half a key. */
  #create(path: string): SecretKey {
    const key = SecretKey.fromBytes(randomBytes(32));
    const temporary = `${path}.${process.pid.toString()}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${key.encode()}\n`, { mode: 0o600, flag: 'wx' });
      linkSync(temporary, path);
    } catch (error) {
      // Another process (the server, another CLI run) created it first: use theirs.
      if (errnoOf(error) === 'EEXIST') {
        const theirs = this.#read(path);
        if (theirs !== undefined) return theirs;
      }
      throw new SecretError(
        `cannot create the secret key file ${path} (${errnoOf(error) ?? 'error'}): set HEO_SECRET_KEY instead`,
      );
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // Never created.
      }
    }
    this.#options.logger.warn(
      { keyFile: path, keyId: key.id },
      'generated a secret key for provider credentials; back it up with the database: without it the stored provider tokens cannot be used',
    );
    return key;
  }
}
