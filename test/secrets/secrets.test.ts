import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySource } from '../../src/secrets/key-source.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { SecretError } from '../../src/secrets/secret-error.js';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'heo@pve!power=5e0f9d1c-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
const fixed = (key: SecretKey) => ({ forSealing: () => key, forOpening: () => key });
const newKey = () => SecretKey.fromBytes(randomBytes(32));

describe('SecretKey', () => {
  const bytes = randomBytes(32);

  it('reads 32 bytes as hex or base64 (standard or URL-safe), and nothing else', () => {
    const id = SecretKey.fromBytes(bytes).id;
    expect(SecretKey.parse(bytes.toString('hex'))?.id).toBe(id);
    expect(SecretKey.parse(` ${bytes.toString('base64')}\n`)?.id).toBe(id);
    expect(SecretKey.parse(bytes.toString('base64url'))?.id).toBe(id);
    for (const bad of [
      '',
      'secret',
      bytes.toString('hex').slice(2),
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
    ])
      expect(SecretKey.parse(bad)).toBeNull();
  });

  it('never shows its bytes in JSON, strings or inspection', () => {
    const key = SecretKey.fromBytes(bytes);
    const shown = [JSON.stringify({ key }), String(key), inspect(key), inspect({ key })].join('\n');
    expect(shown).not.toContain(bytes.toString('hex'));
    expect(shown).not.toContain(bytes.toString('base64'));
    expect(shown).toContain(`[secret key ${key.id}]`);
  });
});

describe('SecretBox: AES-256-GCM', () => {
  it('seals a credential and opens it again; each seal is different', () => {
    const box = new SecretBox(fixed(newKey()));
    const a = box.seal('pve', TOKEN);
    const b = box.seal('pve', TOKEN);
    expect(a).not.toBe(b);
    expect(a).not.toContain(TOKEN);
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(box.open('pve', a)).toBe(TOKEN);
    expect(box.open('pve', b)).toBe(TOKEN);
  });

  it('refuses another key, naming both key ids but neither key', () => {
    const first = newKey();
    const second = newKey();
    const sealed = new SecretBox(fixed(first)).seal('pve', TOKEN);
    expect(() => new SecretBox(fixed(second)).open('pve', sealed)).toThrow(
      new SecretError(
        `the credential of provider "pve" was sealed with secret key ${first.id}, but the current key is ${second.id}: restore that key (HEO_SECRET_KEY or the key file) or register the provider again`,
      ),
    );
  });

  it('refuses a credential moved to another provider, or altered', () => {
    const box = new SecretBox(fixed(newKey()));
    const sealed = box.seal('pve', TOKEN);
    expect(() => box.open('other', sealed)).toThrow(/cannot be opened/);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4] ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    parts[4] = flipped.toString('base64url');
    expect(() => box.open('pve', parts.join('.'))).toThrow(/cannot be opened/);
    expect(() => box.open('pve', 'plaintext')).toThrow(/not in a known format/);
  });
});

describe('KeySource', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('uses HEO_SECRET_KEY when set, and creates no file', () => {
    const key = newKey();
    const source = new KeySource({
      configured: key,
      keyFile: dir.file('heo-power.key'),
      logger: captureLogs().logger,
    });
    expect(source.forSealing()).toBe(key);
    expect(() => statSync(dir.file('heo-power.key'))).toThrow();
  });

  it('on the embedded default, creates a 0600 key file once, says so once, and reads it back', () => {
    const logs = captureLogs();
    const file = dir.file('heo-power.key');
    const source = new KeySource({ configured: null, keyFile: file, logger: logs.logger });
    expect(() => source.forOpening()).toThrow(/the key file .* does not exist/);
    const key = source.forSealing();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(SecretKey.parse(readFileSync(file, 'utf8'))?.id).toBe(key.id);
    expect(source.forSealing()).toBe(key);
    const again = new KeySource({ configured: null, keyFile: file, logger: logs.logger });
    expect(again.forOpening().id).toBe(key.id);
    const generated = logs
      .lines()
      .filter((l) => String(l.msg).startsWith('generated a secret key'));
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatchObject({ level: 'warn', keyFile: file, keyId: key.id });
    expect(logs.text()).not.toContain(key.encode());
  });

  it('warns about a key file other users can read, and refuses a malformed one', () => {
    const logs = captureLogs();
    const file = dir.file('heo-power.key');
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`);
    chmodSync(file, 0o644);
    new KeySource({ configured: null, keyFile: file, logger: logs.logger }).forOpening();
    expect(logs.text()).toContain('chmod 600');
    writeFileSync(file, 'not a key\n');
    expect(() =>
      new KeySource({ configured: null, keyFile: file, logger: logs.logger }).forOpening(),
    ).toThrow(/does not hold 32 random bytes/);
  });

  it('on a shared database, requires HEO_SECRET_KEY to seal or open', () => {
    const source = new KeySource({ configured: null, keyFile: null, logger: captureLogs().logger });
    expect(() => source.forSealing()).toThrow(SecretError);
    expect(() => source.forOpening()).toThrow(
      'HEO_SECRET_KEY is not set: a shared database needs it to seal and open provider credentials (give every instance and the CLI the same key)',
    );
  });
});
