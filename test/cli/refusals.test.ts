import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCliInProcess } from '../helpers/cli.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { testTls } from '../helpers/tls.js';
import { PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const TOKEN = `${PVE_TOKEN_ID}=${PVE_SECRET}`;

/**
 * What the operator CLI refuses, and how: one line on stderr, nothing on stdout, a non-zero exit,
 * nothing changed. Run in this process through the executable's own entry (`runCli`); the
 * spawned-process suites cover the executable itself.
 */
describe('the operator CLI refuses bad input in one line', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let caFile: string;

  const run = (args: readonly string[]) => runCliInProcess(args, env);
  const ok = async (args: readonly string[]) => {
    const result = await run(args);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return result.stdout;
  };
  const operatorLog = async () =>
    JSON.parse(await ok(['audit', '--operator', '--limit', '1000', '--json'])) as unknown;
  const refused = (result: CliResult, message: RegExp | string, code = 1) => {
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  };

  beforeAll(async () => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('data/heo-power.db') };
    caFile = dir.file('ca.pem');
    writeFileSync(caFile, (await testTls()).caPem);
    writeFileSync(dir.file('not-a-cert.pem'), 'hello\n');
    await ok(['migrate']);
    await ok(['providers', 'add', 'sim', '--type', 'simulator']);
    await ok(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim']);
    await ok(['game', 'add', 'srv_9', '--customer', 'cus_9', '--provider', 'sim']);
    await ok([
      'providers',
      'add',
      'pve',
      '--type',
      'proxmox',
      '--url',
      'https://127.0.0.1:8006',
      '--token',
      TOKEN,
      '--ca-file',
      caFile,
    ]);
    await ok([
      'providers',
      'add',
      'panel',
      '--type',
      'pterodactyl',
      '--url',
      'https://127.0.0.1:8443',
      '--token',
      PANEL_KEY,
      '--ca-file',
      caFile,
    ]);
  });
  afterAll(() => dir.remove());

  it.each([
    [
      'an unknown provider',
      ['vps', 'add', 'vps_3', '--customer', 'cus_1', '--provider', 'nope'],
      /unknown provider "nope"/,
    ],
    [
      'a duplicate id',
      ['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim'],
      /VPS "vps_1" already exists/,
    ],
    [
      'a duplicate provider',
      ['providers', 'add', 'sim', '--type', 'simulator'],
      /provider "sim" already exists/,
    ],
    [
      'an unknown provider type',
      ['providers', 'add', 'x', '--type', 'vmware'],
      /unknown provider type "vmware"/,
    ],
    [
      'a bad duration',
      ['keys', 'create', '--customer', 'cus_1', '--expires-in', '3 days'],
      /duration like 90s/,
    ],
    ['an unknown key id', ['keys', 'revoke', 'key_doesnotexist'], /unknown key "key_doesnotexist"/],
    [
      "another customer's VPS",
      ['keys', 'create', '--customer', 'cus_9', '--vps', 'vps_1'],
      /is not a VPS of customer "cus_9"/,
    ],
    ['a bad scope', ['keys', 'create', '--customer', 'cus_1', '--scope', 'admin'], /admin/],
    [
      'an address that is not one',
      ['keys', 'create', '--customer', 'cus_1', '--allow-ip', '192.0.2.0/33'],
      /invalid --allow-ip "192\.0\.2\.0\/33": expected an IPv4 or IPv6 address or network/,
    ],
    [
      'a host name as an address',
      ['keys', 'create', '--customer', 'cus_1', '--allow-ip', 'office.example'],
      /invalid --allow-ip "office\.example"/,
    ],
    [
      'rotating an unknown key',
      ['keys', 'rotate', 'key_doesnotexist'],
      /unknown key "key_doesnotexist"/,
    ],
    [
      'a bad overlap',
      ['keys', 'rotate', 'key_doesnotexist', '--overlap', 'a while'],
      /duration like 90s/,
    ],
    [
      'a bad id',
      ['vps', 'add', 'bad id', '--customer', 'cus_1', '--provider', 'sim'],
      /invalid VPS id "bad id"/,
    ],
    ['a missing option', ['vps', 'add', 'vps_4', '--provider', 'sim'], /--customer/],
    ['an unknown command', ['launch'], /unknown command 'launch'/],
  ])(
    'refuses %s with one line on stderr, a non-zero exit and no change',
    async (_label, args, message) => {
      const before = await operatorLog();
      const result = await run([...args, '--json']);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      // With --json, the error is one JSON object on one line of stderr.
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      const error = JSON.parse(result.stderr) as { error: string; message: string };
      expect(Object.keys(error)).toEqual(['error', 'message']);
      expect(error.message).toMatch(message);
      expect(error.error).toMatch(/^(usage|refused|not_found|conflict)$/);
      // Without it, the same message as one line.
      const human = await run(args);
      expect(human.stderr).toBe(`heo-power: ${error.message}\n`);
      expect(await operatorLog()).toEqual(before);
    },
  );

  it.each([
    [
      'a VM id below 100',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'pve', '--ref', 'pve1/qemu/99'],
      /invalid ref "pve1\/qemu\/99" for proxmox: "99" is not a VM id \(a number from 100 to 999999999\) \(expected <node>\/qemu\/<vmid> or <node>\/lxc\/<vmid>, e\.g\. pve1\/qemu\/100\)$/,
    ],
    [
      'an unknown guest type',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'pve', '--ref', 'pve1/kvm/100'],
      /the guest type must be qemu or lxc, not "kvm"/,
    ],
    [
      'a bad node name',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'pve', '--ref', '-pve/qemu/100'],
      /"-pve" is not a node name/,
    ],
    [
      'a ref without a node',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'pve', '--ref', '100'],
      /expected three parts separated by "\/"/,
    ],
    [
      'the default ref (the id)',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'pve'],
      /invalid ref "v1" for proxmox/,
    ],
    [
      'an uppercase server id',
      ['game', 'add', 'g1', '--customer', 'c', '--provider', 'panel', '--ref', '1A7CE997'],
      /write it in lowercase, as the panel shows it/,
    ],
    [
      'a numeric internal id',
      ['game', 'add', 'g1', '--customer', 'c', '--provider', 'panel', '--ref', '12'],
      /not an 8-character identifier or a UUID/,
    ],
    [
      'a VPS on a panel',
      ['vps', 'add', 'v1', '--customer', 'c', '--provider', 'panel', '--ref', '1a7ce997'],
      /provider "panel" \(pterodactyl\) cannot run a VPS/,
    ],
    [
      'a game server on Proxmox',
      ['game', 'add', 'g1', '--customer', 'c', '--provider', 'pve', '--ref', 'pve1/lxc/101'],
      /provider "pve" \(proxmox\) cannot run a game server/,
    ],
  ])('refuses %s', async (_label, args, message) => {
    refused(await run(args), message);
  });

  it.each([
    [
      'a plain-HTTP URL',
      ['--type', 'proxmox', '--url', 'http://pve1:8006', '--token', TOKEN],
      'invalid --url "http://pve1:8006": it must start with https:// (tokens are never sent in the clear)',
    ],
    [
      'something that is not a URL',
      ['--type', 'proxmox', '--url', 'pve1:8006x', '--token', TOKEN],
      /invalid --url "pve1:8006x"/,
    ],
    [
      'a URL with a path',
      ['--type', 'proxmox', '--url', 'https://pve1:8006/ui', '--token', TOKEN],
      'invalid --url "https://pve1:8006/ui": expected an address like https://pve1.example.net:8006',
    ],
    [
      'a missing URL',
      ['--type', 'pterodactyl', '--token', PANEL_KEY],
      '--url is required, e.g. https://panel.example.net',
    ],
    [
      'a Proxmox token without its secret',
      ['--type', 'proxmox', '--url', 'https://pve1:8006', '--token', 'heo@pve!power'],
      /^heo-power: invalid --token: expected a Proxmox API token as USER@REALM!TOKENID=SECRET/,
    ],
    [
      'a missing token',
      ['--type', 'proxmox', '--url', 'https://pve1:8006'],
      '--token is required: USER@REALM!TOKENID=SECRET',
    ],
    [
      'an application key',
      [
        '--type',
        'pterodactyl',
        '--url',
        'https://panel.example',
        '--token',
        `ptla_AppK3yAbCdE${'a'.repeat(32)}`,
      ],
      /this is an application API key \(ptla_\/papp_\), which has no power control/,
    ],
    [
      'a key of the wrong length',
      ['--type', 'pterodactyl', '--url', 'https://panel.example', '--token', 'ptlc_short'],
      /expected a client API key of 48 characters starting with ptlc_ \(Pterodactyl\) or pacc_ \(Pelican\)/,
    ],
    [
      'an unreadable CA file',
      [
        '--type',
        'proxmox',
        '--url',
        'https://pve1:8006',
        '--token',
        TOKEN,
        '--ca-file',
        '/nonexistent/ca.pem',
      ],
      'cannot read the CA file "/nonexistent/ca.pem" (ENOENT)',
    ],
    [
      'a CA file without a certificate',
      ['--type', 'proxmox', '--url', 'https://pve1:8006', '--token', TOKEN, '--ca-file', 'NOCERT'],
      /holds no PEM certificate/,
    ],
    [
      '--insecure-tls with --ca-file',
      [
        '--type',
        'proxmox',
        '--url',
        'https://pve1:8006',
        '--token',
        TOKEN,
        '--ca-file',
        'CA',
        '--insecure-tls',
      ],
      '--ca-file and --insecure-tls exclude each other',
    ],
    [
      '--url for a simulator',
      ['--type', 'simulator', '--url', 'https://x', '--token', 't'],
      '--url, --token are not used by simulator providers',
    ],
    [
      '--transition-ms for Proxmox',
      ['--type', 'proxmox', '--url', 'https://pve1:8006', '--token', TOKEN, '--transition-ms', '5'],
      '--transition-ms is only for simulator providers',
    ],
  ] as const)('refuses a provider with %s, in one line', async (_label, options, message) => {
    const args = options.map((o) =>
      o === 'CA' ? caFile : o === 'NOCERT' ? dir.file('not-a-cert.pem') : o,
    );
    refused(await run(['providers', 'add', 'bad', ...args]), message);
  });
});
