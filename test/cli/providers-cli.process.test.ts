import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { FakePterodactyl } from '../helpers/fake-pterodactyl.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { testTls } from '../helpers/tls.js';
import { closedPort, PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const TOKEN = `${PVE_TOKEN_ID}=${PVE_SECRET}`;

/** The operator's path: register back-ends, check them, attach machines, remove what is unused. */
describe('providers add, list, test and remove with Proxmox VE and a panel, as a separate process', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let pve: FakeProxmox;
  let panel: FakePterodactyl;
  let caFile: string;
  const seen: string[] = [];

  const run = async (args: readonly string[], extra: Record<string, string> = {}, input = '') => {
    const result = await runCli(args, { ...env, ...extra }, 20_000, input);
    seen.push(result.stdout, result.stderr);
    return result;
  };
  const json = async <T>(args: readonly string[], input = ''): Promise<T> => {
    const result = await run([...args, '--json'], {}, input);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const refused = (result: CliResult, message: RegExp | string, code = 1) => {
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  };

  beforeAll(async () => {
    const tls = await testTls();
    pve = await FakeProxmox.start(tls.server);
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    pve.addGuest('pve1', 'qemu', 100, 'stopped');
    pve.addGuest('pve1', 'lxc', 101, 'running');
    panel = await FakePterodactyl.start(tls.server);
    panel.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    dir = tempDir();
    caFile = dir.file('pve-root-ca.pem');
    writeFileSync(caFile, tls.caPem);
    writeFileSync(dir.file('not-a-cert.pem'), 'hello\n');
    env = { DATABASE_URL: dir.file('data/heo-power.db') };
  });
  afterAll(async () => {
    await pve.close();
    await panel.close();
    dir.remove();
  });

  it('adds a Proxmox provider: the token is sealed, and the key file is made once, 0600', async () => {
    const result = await run([
      'providers',
      'add',
      'pve',
      '--type',
      'proxmox',
      '--url',
      `${pve.url}/`,
      '--token',
      TOKEN,
      '--ca-file',
      caFile,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'pve',
      type: 'proxmox',
      settings: {
        url: pve.url,
        caFingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) as unknown,
      },
      credential: 'heo@pve!power=…5e6f',
    });
    const keyFile = dir.file('data/heo-power.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const logged = result.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toMatchObject([
      { level: 'warn', keyFile, msg: expect.stringMatching(/^generated a secret key/) as unknown },
    ]);
  });

  it('adds a panel, reading the key from standard input; no second key is made', async () => {
    const result = await run(
      [
        'providers',
        'add',
        'panel',
        '--type',
        'pterodactyl',
        '--url',
        panel.url,
        '--token',
        '-',
        '--ca-file',
        caFile,
      ],
      {},
      `${PANEL_KEY}\n`,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'provider "panel" (pterodactyl) added, credential ptlc_…Q7rZ stored encrypted; check it with "heo-power providers test panel"\n',
    );
  });

  it('tests a provider: what was checked, exit 0', async () => {
    const pveResult = await run(['providers', 'test', 'pve']);
    expect({ code: pveResult.code, stdout: pveResult.stdout }).toEqual({
      code: 0,
      stdout: `ok: Proxmox VE 8.2.4 at ${pve.url} accepted the token heo@pve!power; it sees 2 guests\n`,
    });
    expect(await json(['providers', 'test', 'panel'])).toEqual({
      name: 'panel',
      type: 'pterodactyl',
      ok: true,
      failure: null,
      message: `the panel at ${panel.url} accepted the key of "heo-admin", an admin: it can power every server`,
    });
  });

  it.each([
    [
      'an untrusted certificate (no --ca-file)',
      [],
      'tls',
      /TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE, e\.g\. self-signed\): give the CA that signed it with --ca-file, or use --insecure-tls$/,
    ],
    [
      'a token Proxmox refuses',
      ['--ca-file', 'CA', '--token', `${PVE_TOKEN_ID}=00000000-0000-4000-8000-000000000000`],
      'auth',
      /refused the token heo@pve!power: 401 Authentication failed!: the API token was not accepted \(wrong, deleted or expired\)$/,
    ],
    [
      'a port where nothing listens',
      ['--ca-file', 'CA', '--url', 'CLOSED'],
      'unreachable',
      /connection refused by 127\.0\.0\.1:\d+: is the API running there, and is the port right\?$/,
    ],
  ] as const)('says what is wrong with %s, exit 1', async (_label, options, failure, message) => {
    const name = `pve-${failure}`;
    const port = await closedPort();
    const args = options.map((o) =>
      o === 'CA' ? caFile : o === 'CLOSED' ? `https://127.0.0.1:${port}` : o,
    );
    const withDefaults = [
      ...(args.includes('--url') ? [] : ['--url', pve.url]),
      ...(args.includes('--token') ? [] : ['--token', TOKEN]),
      ...args,
    ];
    expect((await run(['providers', 'add', name, '--type', 'proxmox', ...withDefaults])).code).toBe(
      0,
    );
    const human = await run(['providers', 'test', name]);
    expect(human.code).toBe(1);
    expect(human.stdout.trimEnd()).toMatch(/^FAILED: /);
    expect(human.stdout.trimEnd()).toMatch(message);
    const machine = await run(['providers', 'test', name, '--json']);
    expect(machine.code).toBe(1);
    expect(JSON.parse(machine.stdout)).toMatchObject({ name, ok: false, failure });
  });

  it('works with a self-signed certificate only when told --insecure-tls', async () => {
    const tls = await testTls();
    const selfSigned = await FakeProxmox.start(tls.selfSigned);
    selfSigned.addToken(PVE_TOKEN_ID, PVE_SECRET);
    try {
      for (const [name, extra] of [
        ['pve-selfsigned', []],
        ['pve-insecure', ['--insecure-tls']],
      ] as const) {
        const added = await run([
          'providers',
          'add',
          name,
          '--type',
          'proxmox',
          '--url',
          selfSigned.url,
          '--token',
          TOKEN,
          ...extra,
        ]);
        expect(added.code).toBe(0);
      }
      expect((await run(['providers', 'test', 'pve-selfsigned'])).stdout).toContain(
        'DEPTH_ZERO_SELF_SIGNED_CERT',
      );
      const insecure = await run(['providers', 'test', 'pve-insecure']);
      expect({
        code: insecure.code,
        ok: insecure.stdout.startsWith('ok: Proxmox VE 8.2.4'),
      }).toEqual({ code: 0, ok: true });
    } finally {
      await selfSigned.close();
    }
  });

  it('lists providers with a masked hint of the credential only', async () => {
    const rows = await json<
      { name: string; credential: string | null; settings: Record<string, unknown> }[]
    >(['providers', 'list']);
    expect(rows.find((r) => r.name === 'pve')).toMatchObject({
      credential: 'heo@pve!power=…5e6f',
      resources: 0,
    });
    expect(rows.find((r) => r.name === 'panel')).toMatchObject({ credential: 'ptlc_…Q7rZ' });
    expect(rows.every((r) => !('caPem' in r.settings))).toBe(true);
    const human = await run(['providers', 'list']);
    expect(human.stdout).toContain('heo@pve!power=…5e6f');
  });

  it('attaches VPS and game servers by their provider reference', async () => {
    expect(
      await json([
        'vps',
        'add',
        'vps_q',
        '--customer',
        'cus_1',
        '--provider',
        'pve',
        '--ref',
        'pve1/qemu/100',
      ]),
    ).toMatchObject({ ref: 'pve1/qemu/100' });
    expect(
      await json([
        'vps',
        'add',
        'vps_c',
        '--customer',
        'cus_1',
        '--provider',
        'pve',
        '--ref',
        'pve-node-2/lxc/999999999',
      ]),
    ).toMatchObject({ ref: 'pve-node-2/lxc/999999999' });
    expect(
      await json([
        'game',
        'add',
        'srv_g',
        '--customer',
        'cus_1',
        '--provider',
        'panel',
        '--ref',
        '1a7ce997',
      ]),
    ).toMatchObject({ ref: '1a7ce997' });
    expect(
      await json([
        'game',
        'add',
        'srv_u',
        '--customer',
        'cus_1',
        '--provider',
        'panel',
        '--ref',
        '1a7ce997-259b-452e-8b4e-cecc464142ca',
      ]),
    ).toMatchObject({ provider: 'panel' });
  });

  it('refuses to remove a provider while machines use it; removes an unused one', async () => {
    refused(
      await run(['providers', 'remove', 'pve']),
      'heo-power: provider "pve" still runs 2 machines: it cannot be removed while VPS or game servers use it',
    );
    expect(await json(['providers', 'remove', 'pve-unreachable'])).toEqual({
      name: 'pve-unreachable',
      removed: true,
    });
    refused(
      await run(['providers', 'remove', 'pve-unreachable']),
      'unknown provider "pve-unreachable"',
    );
    const names = (await json<{ name: string }[]>(['providers', 'list'])).map((p) => p.name);
    expect(names).toContain('pve');
    expect(names).not.toContain('pve-unreachable');
  });

  it('cannot open the credentials with another HEO_SECRET_KEY, and says so', async () => {
    const result = await run(['providers', 'test', 'pve'], {
      HEO_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAILED: the credential of provider "pve" was sealed with secret key [0-9a-f]{8}, but the current key is [0-9a-f]{8}/,
    );
  });

  it('set-token seals a new credential with the current key, which makes it usable again', async () => {
    const newKey = { HEO_SECRET_KEY: randomBytes(32).toString('hex') };
    const replaced = await run(
      ['providers', 'set-token', 'pve', '--token', '-', '--json'],
      newKey,
      TOKEN,
    );
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout)).toEqual({ name: 'pve', credential: 'heo@pve!power=…5e6f' });
    expect((await run(['providers', 'test', 'pve'], newKey)).code).toBe(0);
    // The key file no longer opens it: the operator has moved to HEO_SECRET_KEY.
    expect((await run(['providers', 'test', 'pve'])).stdout).toMatch(
      /^FAILED: the credential of provider "pve" was sealed with secret key/,
    );
    refused(
      await run(['providers', 'set-token', 'panel', '--token', 'ptlc_short'], newKey),
      /invalid --token: expected a client API key/,
    );
    refused(
      await run(['providers', 'set-token', 'nope', '--token', TOKEN], newKey),
      'unknown provider "nope"',
    );
    const [event] = await json<{ event: string; subject: string; detail: unknown }[]>([
      'audit',
      '--operator',
      '--limit',
      '1',
    ]);
    expect(event).toEqual(
      expect.objectContaining({
        event: 'provider.credential',
        subject: 'pve',
        detail: { hint: 'heo@pve!power=…5e6f' },
      }),
    );
  });

  it('never shows a token: not in any output or log line, nor in plaintext in any file of the data folder', async () => {
    const secrets = [PVE_SECRET, PANEL_KEY, PANEL_KEY.slice(16)];
    const everything = seen.join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    const data = dir.file('data');
    const files = readdirSync(data);
    expect(files).toEqual(expect.arrayContaining(['heo-power.db', 'heo-power.key']));
    for (const file of files) {
      const bytes = readFileSync(join(data, file)).toString('latin1');
      for (const secret of secrets)
        expect({ file, leaked: bytes.includes(secret) }).toEqual({ file, leaked: false });
    }
  });
});
