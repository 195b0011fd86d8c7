import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessResult, runCliInProcess } from '../helpers/cli.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { testTls } from '../helpers/tls.js';
import { closedPort, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const TOKEN = `${PVE_TOKEN_ID}=${PVE_SECRET}`;
const NEW_SECRET = '0b7c5c1e-2bd4-4c43-9d0e-6c0e3f0a9999';

interface KeyJson {
  id: string;
  customer_id: string;
  resources: string | string[];
  status: string;
  key?: string;
}

interface ProviderJson {
  name: string;
  settings: Record<string, unknown>;
  credential: string | null;
  changed?: string[];
}

/**
 * What operators used to hcloud and doctl expect, run in-process through the executable's entry:
 * providers update and remove, keys show, confirmation at a terminal, warnings, help and version.
 */
describe('operator habits of the CLI', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let pve: FakeProxmox;
  let caFile: string;
  const seen: string[] = [];

  const run = async (args: readonly string[], answers?: readonly string[], input = '') => {
    const result = await runCliInProcess(args, env, input, answers);
    seen.push(result.stdout, result.stderr);
    return result;
  };
  const json = async <T>(args: readonly string[], input = ''): Promise<T> => {
    const result = await run([...args, '--json'], undefined, input);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return JSON.parse(result.stdout) as T;
  };
  const jsonError = (result: InProcessResult) => {
    expect([result.code, result.stdout]).toEqual([1, '']);
    expect(result.stderr.endsWith('\n') && result.stderr.trimEnd().split('\n').length === 1).toBe(
      true,
    );
    return JSON.parse(result.stderr) as { error: string; message: string };
  };
  const operatorLog = (limit: number) =>
    json<{ event: string; subject: string; detail: Record<string, unknown> | null }[]>([
      'audit',
      '--operator',
      '--limit',
      String(limit),
    ]);

  beforeAll(async () => {
    const tls = await testTls();
    pve = await FakeProxmox.start(tls.server);
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    pve.addToken(PVE_TOKEN_ID, NEW_SECRET);
    pve.addGuest('pve1', 'qemu', 100, 'stopped');
    dir = tempDir();
    caFile = dir.file('ca.pem');
    writeFileSync(caFile, tls.caPem);
    env = { DATABASE_URL: dir.file('habits.db') };
    await json(['providers', 'add', 'sim', '--type', 'simulator']);
  });
  afterAll(async () => {
    await pve.close();
    dir.remove();
  });

  describe('providers update', () => {
    it('changes the URL of a provider that pointed nowhere, and keeps its CA and credential', async () => {
      const port = await closedPort();
      await json([
        'providers',
        'add',
        'pve',
        '--type',
        'proxmox',
        '--url',
        `https://127.0.0.1:${port}`,
        '--token',
        TOKEN,
        '--ca-file',
        caFile,
      ]);
      expect((await run(['providers', 'test', 'pve'])).code).toBe(1);
      const before = await json<ProviderJson[]>(['providers', 'list']);
      const updated = await json<ProviderJson>(['providers', 'update', 'pve', '--url', pve.url]);
      expect(updated).toMatchObject({
        name: 'pve',
        settings: { url: pve.url, caFingerprint256: before[0]?.settings.caFingerprint256 },
        credential: 'heo@pve!power=…5e6f',
        changed: ['url'],
      });
      expect((await run(['providers', 'test', 'pve'])).code).toBe(0);
      const [event] = await operatorLog(1);
      expect(event).toMatchObject({
        event: 'provider.update',
        subject: 'pve',
        detail: { changed: ['url'], settings: { url: pve.url } },
      });
    });

    it('rotates the token (also from standard input), changes timeouts and TLS', async () => {
      const rotated = await json<ProviderJson>(
        ['providers', 'update', 'pve', '--token', '-', '--timeout-ms', '3000'],
        `${PVE_TOKEN_ID}=${NEW_SECRET}\n`,
      );
      expect(rotated).toMatchObject({
        credential: 'heo@pve!power=…9999',
        changed: ['timeoutMs', 'credential'],
        settings: { timeoutMs: 3000 },
      });
      expect((await run(['providers', 'test', 'pve'])).code).toBe(0);
      const insecure = await json<ProviderJson>(['providers', 'update', 'pve', '--insecure-tls']);
      expect(insecure.settings).toEqual({ url: pve.url, timeoutMs: 3000, insecureTls: true });
      const system = await json<ProviderJson>(['providers', 'update', 'pve', '--system-ca']);
      expect(system.settings).toEqual({ url: pve.url, timeoutMs: 3000 });
      // The test CA is not among the system's: the check now fails on TLS.
      expect((await run(['providers', 'test', 'pve'])).stdout).toMatch(/^FAILED: /);
      await json(['providers', 'update', 'pve', '--ca-file', caFile]);
      expect((await run(['providers', 'test', 'pve'])).code).toBe(0);
      const simulator = await json<ProviderJson>([
        'providers',
        'update',
        'sim',
        '--transition-ms',
        '10',
      ]);
      expect(simulator).toMatchObject({
        settings: { transitionMs: 10 },
        changed: ['transitionMs'],
      });
    });

    it.each([
      [
        ['nope', '--timeout-ms', '5'],
        'not_found',
        'unknown provider "nope" (see "providers list")',
      ],
      [['pve'], 'refused', /^nothing to change: give --url, --token/],
      [['pve', '--url', 'http://pve1:8006'], 'refused', /must start with https:\/\//],
      [
        ['pve', '--system-ca', '--insecure-tls'],
        'refused',
        '--system-ca excludes --ca-file and --insecure-tls',
      ],
      [
        ['pve', '--transition-ms', '5'],
        'refused',
        '--transition-ms is only for simulator providers',
      ],
      [['pve', '--token', 'heo@pve!power'], 'refused', /^invalid --token/],
      [['sim', '--url', 'https://x'], 'refused', '--url is not used by simulator providers'],
    ] as const)('refuses %j, changing nothing', async (args, error, message) => {
      const before = await operatorLog(1000);
      const refused = jsonError(await run(['providers', 'update', ...args, '--json']));
      expect(refused.error).toBe(error);
      expect(refused.message).toMatch(message);
      expect(await operatorLog(1000)).toEqual(before);
    });

    it('asks for the token again when the stored one cannot be opened with the current key', async () => {
      const other = { ...env, HEO_SECRET_KEY: randomBytes(32).toString('hex') };
      const result = await runCliInProcess(
        ['providers', 'update', 'pve', '--timeout-ms', '9'],
        other,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^heo-power: the credential of provider "pve" was sealed with secret key .*; or give the credential again with --token\n$/,
      );
    });
  });

  describe('providers remove', () => {
    it('is refused while machines use the provider, naming how many, then removes it after a confirmation', async () => {
      await json([
        'vps',
        'add',
        'vps_1',
        '--customer',
        'cus_1',
        '--provider',
        'pve',
        '--ref',
        'pve1/qemu/100',
      ]);
      await json([
        'vps',
        'add',
        'vps_2',
        '--customer',
        'cus_1',
        '--provider',
        'pve',
        '--ref',
        'pve1/qemu/101',
      ]);
      const inUse = await run(['providers', 'remove', 'pve'], ['y']);
      expect([inUse.code, inUse.asked, inUse.stderr]).toEqual([
        1,
        [],
        'heo-power: provider "pve" still runs 2 machines: it cannot be removed while VPS or game servers use it (move them with "vps update" or "game update", or remove them)\n',
      ]);
      expect(jsonError(await run(['providers', 'remove', 'pve', '--json'])).error).toBe('in_use');
      await json(['vps', 'update', 'vps_1', '--provider', 'sim']);
      await json(['vps', 'remove', 'vps_2']);
      // At a terminal it asks; anything but yes changes nothing.
      const declined = await run(['providers', 'remove', 'pve'], ['n']);
      expect([declined.code, declined.asked, declined.stderr]).toEqual([
        1,
        ['Remove provider "pve"? [y/N] '],
        'heo-power: cancelled: nothing was changed\n',
      ]);
      const removed = await run(['providers', 'remove', 'pve'], ['yes']);
      expect([removed.code, removed.stdout]).toEqual([0, 'provider "pve" removed\n']);
      expect((await json<ProviderJson[]>(['providers', 'list'])).map((p) => p.name)).toEqual([
        'sim',
      ]);
      expect(jsonError(await run(['providers', 'remove', 'pve', '--json'])).error).toBe(
        'not_found',
      );
      const events = await operatorLog(3);
      expect(events.map((e) => [e.event, e.subject])).toEqual([
        ['provider.remove', 'pve'],
        ['vps.remove', 'vps_2'],
        ['vps.update', 'vps_1'],
      ]);
    });
  });

  describe('keys', () => {
    it('keys show prints one key as keys list does, never the key', async () => {
      const created = await json<KeyJson>([
        'keys',
        'create',
        '--customer',
        'cus_1',
        '--vps',
        'vps_1',
      ]);
      const shown = await json<KeyJson>(['keys', 'show', created.id]);
      const [listed] = await json<KeyJson[]>(['keys', 'list', '--customer', 'cus_1']);
      expect(shown).toEqual(listed);
      expect(Object.keys(shown)).toEqual([
        'id',
        'customer_id',
        'name',
        'scope',
        'resources',
        'allowed_ips',
        'display_prefix',
        'status',
        'created_at',
        'expires_at',
        'revoked_at',
        'last_used_at',
      ]);
      expect(JSON.stringify(shown)).not.toContain(created.key);
      const human = await run(['keys', 'show', created.id]);
      expect(human.stdout).toMatch(new RegExp(`^id\\s+${created.id}$`, 'm'));
      expect(human.stdout).toMatch(/^resources\s+vps:vps_1$/m);
      const unknown = jsonError(await run(['keys', 'show', 'key_nope', '--json']));
      expect(unknown).toEqual({
        error: 'not_found',
        message: 'unknown key "key_nope" (see "keys list")',
      });
    });

    it('keys revoke asks at a terminal, not with --yes, and not without a terminal', async () => {
      const a = await json<KeyJson>(['keys', 'create', '--customer', 'cus_1']);
      const declined = await run(['keys', 'revoke', a.id], ['']);
      expect([declined.code, declined.stdout, declined.asked]).toEqual([
        1,
        '',
        [
          `Revoke ${a.id} of customer "cus_1"? Requests with it are refused from the next one on. [y/N] `,
        ],
      ]);
      expect((await json<KeyJson>(['keys', 'show', a.id])).status).toBe('active');
      const confirmed = await run(['keys', 'revoke', a.id], ['y']);
      expect([confirmed.code, confirmed.stdout]).toEqual([
        0,
        `revoked ${a.id} (customer "cus_1")\n`,
      ]);
      const b = await json<KeyJson>(['keys', 'create', '--customer', 'cus_1']);
      const yes = await run(['keys', 'revoke', b.id, '--yes'], []);
      expect([yes.code, yes.asked]).toEqual([0, []]);
      const c = await json<KeyJson>(['keys', 'create', '--customer', 'cus_1']);
      const script = await run(['keys', 'revoke', c.id, '--json']);
      expect([script.code, (JSON.parse(script.stdout) as KeyJson).status]).toEqual([0, 'revoked']);
      // A revoked key is not asked about again.
      expect((await run(['keys', 'revoke', c.id], [])).asked).toEqual([]);
      const [event] = await operatorLog(1);
      expect([event?.event, event?.subject]).toEqual(['key.revoke', c.id]);
    });

    it('creates a key for a customer without machines, with a warning on stderr', async () => {
      const human = await run(['keys', 'create', '--customer', 'cus_typo']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^created key_\w+ for customer "cus_typo"/);
      expect(human.stderr).toBe(
        'heo-power: warning: customer "cus_typo" has no VPS or game servers yet: the key reaches nothing until one is added (check the customer id)\n',
      );
      const machine = await run(['keys', 'create', '--customer', 'cus_1', '--json']);
      expect(machine.stderr).toBe('');
      const result = await run(['keys', 'create', '--customer', 'cus_typo', '--json']);
      expect((JSON.parse(result.stdout) as KeyJson).customer_id).toBe('cus_typo');
      expect(JSON.parse(result.stderr)).toEqual({
        warning: 'customer_has_no_machines',
        message:
          'customer "cus_typo" has no VPS or game servers yet: the key reaches nothing until one is added (check the customer id)',
      });
    });
  });

  describe('help, version and errors', () => {
    it.each([[['help']], [['help', 'keys']], [['--help']], [['vps', 'move', '--help']]])(
      '%j prints help on stdout and exits 0',
      async (args) => {
        const result = await run(args);
        expect([result.code, result.stderr]).toEqual([0, '']);
        expect(result.stdout).toMatch(/^Usage: heo-power/);
      },
    );

    it('--version prints the package version', async () => {
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      for (const flag of ['--version', '-v']) {
        const result = await run([flag]);
        expect([result.code, result.stdout, result.stderr]).toEqual([0, `${version}\n`, '']);
      }
    });

    it('keeps the suggestion for a mistyped command, in one line, and as JSON with --json', async () => {
      const human = await run(['vps', 'remov', 'vps_1']);
      expect([human.code, human.stderr]).toEqual([
        2,
        "heo-power: unknown command 'remov' (Did you mean remove?)\n",
      ]);
      const machine = await run(['keys', 'shwo', 'key_1', '--json']);
      expect([machine.code, machine.stdout]).toEqual([2, '']);
      expect(JSON.parse(machine.stderr)).toEqual({
        error: 'usage',
        message: "unknown command 'shwo' (Did you mean show?)",
      });
    });

    it('an incomplete command prints its help on stderr and exits 2', async () => {
      const result = await run(['providers']);
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toMatch(/^Usage: heo-power providers/);
    });

    it('never printed a provider token', () => {
      const everything = seen.join('\n');
      for (const secret of [PVE_SECRET, NEW_SECRET]) expect(everything).not.toContain(secret);
    });
  });
});
