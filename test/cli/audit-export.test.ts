import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { BACKENDS, type Provisioned } from '../helpers/backends.js';
import { runCliInProcess } from '../helpers/cli.js';

const T0 = Date.UTC(2026, 10, 23, 14, 40);

const ENTRIES = [
  auditEntry(1, { at: T0, status: 403, error: 'forbidden', provider: null, taskRef: null }),
  auditEntry(2, {
    at: T0 + 1_000,
    upstreamDetail: '=HYPERLINK("http://x","y"), then -1',
    taskRef: '@task,1',
  }),
  auditEntry(3, { at: T0 + 2_000, keyId: 'key_b', resourceType: 'game', resourceId: 'srv_1' }),
];

describe.each(BACKENDS)('heo-power audit, export and prune on $name', (backend) => {
  let provisioned: Provisioned;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCliInProcess(args, env);

  beforeAll(async () => {
    provisioned = await backend.provision();
    env = { ...provisioned.env };
    const store = await openStore({
      databaseUrl: provisioned.env.DATABASE_URL ?? '',
      poolSize: 2,
      timeoutMs: DEFAULTS.storeTimeoutMs,
      watchChanges: false,
    });
    try {
      await store.migrate();
      await store.audit.append(ENTRIES);
    } finally {
      await store.close();
    }
  });
  afterAll(() => provisioned.cleanup());

  it('exports JSON lines, one record a line, newest first', async () => {
    const out = await cli('audit', 'export', '--format', 'jsonl', '--key', 'key_a');
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toBe(
      '{"at":"2026-11-23T14:40:01.000Z","request_id":"req-2","key_id":"key_a","customer_id":"cus_a","resource_type":"vps","resource_id":"vps_1","action":"start","status":200,"error":null,"client_ip":"127.0.0.1","provider":"sim","upstream_status":200,"upstream_detail":"=HYPERLINK(\\"http://x\\",\\"y\\"), then -1","task_ref":"@task,1"}\n' +
        '{"at":"2026-11-23T14:40:00.000Z","request_id":"req-1","key_id":"key_a","customer_id":"cus_a","resource_type":"vps","resource_id":"vps_1","action":"start","status":403,"error":"forbidden","client_ip":"127.0.0.1","provider":null,"upstream_status":200,"upstream_detail":null,"task_ref":null}\n',
    );
  });

  it('exports CSV quoted as RFC 4180 says, formulas made text', async () => {
    const out = await cli(
      'audit',
      'export',
      '--format',
      'csv',
      '--since',
      '2026-11-23T14:40:00.500Z',
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toBe(
      'at,request_id,key_id,customer_id,resource_type,resource_id,action,status,error,client_ip,provider,upstream_status,upstream_detail,task_ref\r\n' +
        '2026-11-23T14:40:02.000Z,req-3,key_b,cus_a,game,srv_1,start,200,,127.0.0.1,sim,200,,task-3\r\n' +
        '2026-11-23T14:40:01.000Z,req-2,key_a,cus_a,vps,vps_1,start,200,,127.0.0.1,sim,200,"\'=HYPERLINK(""http://x"",""y""), then -1","\'@task,1"\r\n',
    );
    const none = await cli('audit', 'export', '--format', 'csv', '--status', '502');
    expect(none.stdout).toBe(
      'at,request_id,key_id,customer_id,resource_type,resource_id,action,status,error,client_ip,provider,upstream_status,upstream_detail,task_ref\r\n',
    );
  });

  it('prints a page with --json as before, and the cursor of the next one beside it', async () => {
    const first = await cli('audit', '--limit', '2', '--json');
    expect(first.code).toBe(0);
    const rows = JSON.parse(first.stdout) as { request_id: string }[];
    expect(rows.map((r) => r.request_id)).toEqual(['req-3', 'req-2']);
    const cursor = /^more records: --cursor (\S+)\n$/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const second = await cli('audit', '--limit', '2', '--json', '--cursor', cursor ?? '');
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(
      (JSON.parse(second.stdout) as { request_id: string }[]).map((r) => r.request_id),
    ).toEqual(['req-1']);
    const filtered = await cli('audit', '--resource', 'game:srv_1', '--action', 'start');
    expect(filtered.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(filtered.stdout).toContain('game:srv_1');
  });

  it('refuses filters that cannot apply, and input it cannot read, saying why', async () => {
    const refusals: readonly (readonly [readonly string[], number, string])[] = [
      [
        ['audit', '--operator', '--customer', 'cus_a', '--status', '200'],
        2,
        'heo-power: --customer, --status cannot filter the operator log (it takes --since, --until, --key, --resource and --event)\n',
      ],
      [
        ['audit', '--event', 'key.create'],
        2,
        'heo-power: --event filters the operator log: add --operator\n',
      ],
      [
        ['audit', '--since', 'yesterday'],
        2,
        'heo-power: --since: expected a date (2026-11-23), a date and time with its zone (2026-11-23T14:40:00Z) or a duration back from now (24h, 7d) (got "yesterday")\n',
      ],
      [['audit', '--since', '2026-02-30'], 2, 'got "2026-02-30"'],
      [['audit', '--resource', 'vm:1'], 2, 'expected <type>:<id> with type vps or game'],
      [['audit', '--status', '42'], 2, 'expected an HTTP status from 100 to 599'],
      [
        ['audit', '--action', 'explode'],
        2,
        'Allowed choices are start, stop, reset, restart, kill',
      ],
      [
        ['audit', '--cursor', 'nope'],
        1,
        'heo-power: --cursor: not a cursor of the audit log: "nope"',
      ],
      [['audit', 'export', '--format', 'xml'], 2, 'Allowed choices are jsonl, csv'],
      [['audit', 'prune', '--before', '2999-01-01'], 2, '--before must not be in the future'],
    ];
    for (const [args, code, message] of refusals) {
      const out = await cli(...args);
      expect(out.code, args.join(' ')).toBe(code);
      expect(out.stdout, args.join(' ')).toBe('');
      expect(out.stderr, args.join(' ')).toContain(message);
    }
  });

  it('exports the operator log, filtered as it can be', async () => {
    const out = await cli(
      'audit',
      'export',
      '--operator',
      '--format',
      'csv',
      '--event',
      'key.create',
    );
    expect(out).toMatchObject({ code: 0, stdout: 'at,actor,event,subject,detail\r\n' });
  });

  it('prunes the records before a time, and says how many', async () => {
    const out = await cli('audit', 'prune', '--before', '2026-11-23T14:40:01.500Z', '--json');
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout)).toEqual({ deleted: 2, before: '2026-11-23T14:40:01.500Z' });
    const left = await cli('audit', 'export', '--format', 'jsonl');
    expect(
      left.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { request_id: string }).request_id),
    ).toEqual(['req-3']);
    const again = await cli('audit', 'prune', '--before', '2026-11-23');
    expect(again).toMatchObject({
      code: 0,
      stdout: 'deleted 0 audit records older than 2026-11-23T00:00:00.000Z\n',
    });
  });
});
