import {
  type FakeAnswer,
  type FakeReply,
  FakeProvider,
  type RecordedRequest,
} from './fake-upstream.js';
import type { TestTls } from './tls.js';

/**
 * A Proxmox VE API (pveproxy) as `shared/providers.md` describes it: `/api2/json` paths, API
 * token authentication with empty-bodied 401s, `additionalProperties: 0` parameter checking,
 * asynchronous tasks with UPIDs, synchronous 500s for containers already in the asked state, and
 * 501 for the reset containers do not have. It rejects what the real one rejects.
 *
 * `status/current` shows what a real guest shows while a task works on it: a QEMU start is
 * `running` with `qmpstatus: prelaunch` until its task ends; a shutdown or stop still shows the guest
 * running until then; a container shows its old status until then. Tasks run for `taskPolls`
 * polls of their status, or, with `taskMs`, for that long.
 */
export type GuestType = 'qemu' | 'lxc';
export type GuestStatus = 'running' | 'stopped';

export interface FakeGuest {
  readonly node: string;
  readonly type: GuestType;
  readonly vmid: number;
  /** Where the guest is, or is heading once its running task ends. */
  status: GuestStatus;
  /** QEMU's run state to report while running (`paused`, `suspended`…); `status` when unset. */
  qmpstatus?: string;
  /** The guest's lock (`backup`, `migrate`, `suspended` for a VM hibernated to disk…). */
  lock?: string;
}

export interface FakeToken {
  /** `user@realm!tokenid` */
  readonly id: string;
  readonly secret: string;
  /** Holds VM.PowerMgmt (else power calls get 403). */
  readonly power: boolean;
  /** Holds VM.Audit (else `status/current` gets 403). */
  readonly audit: boolean;
}

interface Task {
  readonly upid: string;
  readonly node: string;
  readonly type: string;
  readonly id: string;
  readonly tokenId: string;
  readonly exitstatus: string;
  /** The power command, and the guest's status before it. */
  readonly command: string;
  readonly from: GuestStatus;
  readonly startedAt: number;
  /** Polls left that answer `running`. */
  pollsLeft: number;
}

export interface FakeProxmoxOptions {
  /** Delay of the auth-stage 401s (about 3 s on a real server); 0 in tests. */
  readonly authDelayMs?: number;
  /** Answer errors without `message` in the body, as before libpve-http-server 5.2.0. */
  readonly omitMessage?: boolean;
  /** How many status polls a new task answers `running` before it is `stopped`. */
  readonly taskPolls?: number;
  /** Instead of counting polls, a task runs this long (ms) after it was started. */
  readonly taskMs?: number;
}

/** Parameters each power endpoint accepts (`additionalProperties => 0`), and their types. */
type ParamType = 'boolean' | 'integer' | 'string';
const ROOT_ONLY = new Set(['skiplock', 'keepActive', 'migratedfrom', 'stateuri']);
const SCHEMAS: Readonly<
  Record<GuestType, Readonly<Record<string, Readonly<Record<string, ParamType>>>>>
> = {
  qemu: {
    start: { timeout: 'integer', skiplock: 'boolean', stateuri: 'string', machine: 'string' },
    stop: {
      timeout: 'integer',
      skiplock: 'boolean',
      keepActive: 'boolean',
      'overrule-shutdown': 'boolean',
    },
    reset: { skiplock: 'boolean' },
    shutdown: {
      timeout: 'integer',
      forceStop: 'boolean',
      keepActive: 'boolean',
      skiplock: 'boolean',
    },
    reboot: { timeout: 'integer' },
  },
  lxc: {
    start: { skiplock: 'boolean', debug: 'boolean' },
    stop: { skiplock: 'boolean', 'overrule-shutdown': 'boolean' },
    shutdown: { timeout: 'integer', forceStop: 'boolean' },
    reboot: { timeout: 'integer' },
  },
};
const TASK_TYPES: Readonly<Record<GuestType, Readonly<Record<string, string>>>> = {
  qemu: {
    start: 'qmstart',
    stop: 'qmstop',
    reset: 'qmreset',
    shutdown: 'qmshutdown',
    reboot: 'qmreboot',
  },
  lxc: { start: 'vzstart', stop: 'vzstop', shutdown: 'vzshutdown', reboot: 'vzreboot' },
};

const JSON_TYPE = 'application/json;charset=UTF-8';
const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, '0');

export class FakeProxmox extends FakeProvider {
  readonly guests: FakeGuest[] = [];
  readonly tokens: FakeToken[] = [];
  readonly tasks = new Map<string, Task>();
  readonly #options: FakeProxmoxOptions;
  /** The latest task of each guest (`node/type/vmid`). */
  readonly #guestTasks = new Map<string, Task>();
  #nextTaskError: string | undefined;
  #pid = 0x3a1b2;

  constructor(options: FakeProxmoxOptions = {}) {
    super();
    this.#options = options;
  }

  static async start(
    tls: Pick<TestTls['server'], 'key' | 'cert'>,
    options: FakeProxmoxOptions = {},
  ): Promise<FakeProxmox> {
    const fake = new FakeProxmox(options);
    await fake.listen(tls);
    return fake;
  }

  protected isPowerPost(request: RecordedRequest): boolean {
    return request.method === 'POST' && /\/status\/[a-z]+$/.test(request.url);
  }

  addGuest(node: string, type: GuestType, vmid: number, status: GuestStatus): FakeGuest {
    const guest = { node, type, vmid, status };
    this.guests.push(guest);
    return guest;
  }

  addToken(id: string, secret: string, power = true, audit = true): string {
    this.tokens.push({ id, secret, power, audit });
    return `${id}=${secret}`;
  }

  /**
   * The next task forked ends with this exit status (e.g. `VM is locked (backup)`) and leaves its
   * guest as it was, as a task that dies does.
   */
  failNextTask(exitstatus: string): void {
    this.#nextTaskError = exitstatus;
  }

  guest(node: string, type: GuestType, vmid: number): FakeGuest | undefined {
    return this.guests.find((g) => g.node === node && g.type === type && g.vmid === vmid);
  }

  answer(request: RecordedRequest): FakeAnswer {
    const injected = this.intercept?.(request);
    if (injected !== undefined) return injected;
    const url = new URL(request.url, 'https://fake');
    const match = /^\/api2\/json(\/.*)$/.exec(url.pathname);
    if (match?.[1] === undefined)
      return {
        status: 501,
        reason: 'no such uri',
        headers: { 'content-type': JSON_TYPE },
        body: '{"data":null}',
      };
    const token = this.#authenticate(request);
    if (typeof token !== 'object') {
      return { status: 401, reason: token, delayMs: this.#options.authDelayMs ?? 0 };
    }
    const path = decodeURIComponent(match[1]);
    if (request.method === 'GET' && path === '/version') {
      return this.#ok({ version: '8.2.4', release: '8.2', repoid: 'faa83925c9641325' });
    }
    if (request.method === 'GET' && path === '/cluster/resources') {
      return this.#ok(
        this.guests.map((g) => ({
          id: `${g.type}/${g.vmid}`,
          type: g.type,
          vmid: g.vmid,
          node: g.node,
          status: g.status,
        })),
      );
    }
    const current = /^\/nodes\/([^/]+)\/(qemu|lxc)\/([^/]+)\/status\/current$/.exec(path);
    if (current?.[1] !== undefined && current[3] !== undefined) {
      if (request.method !== 'GET')
        return this.#error(501, `Method '${request.method} ${path}' not implemented`);
      return this.#current(token, current[1], current[2] as GuestType, current[3]);
    }
    const task = /^\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/.exec(path);
    if (request.method === 'GET' && task?.[1] !== undefined && task[2] !== undefined) {
      return this.#taskStatus(task[1], task[2]);
    }
    const power = /^\/nodes\/([^/]+)\/(qemu|lxc)\/([^/]+)\/status\/([a-z]+)$/.exec(path);
    if (
      request.method === 'POST' &&
      power?.[1] !== undefined &&
      power[3] !== undefined &&
      power[4] !== undefined
    ) {
      return this.#power(request, url, token, power[1], power[2] as GuestType, power[3], power[4]);
    }
    return this.#error(501, `Method '${request.method} ${path}' not implemented`);
  }

  /** `PVEAPIToken=` or `PVEAPIToken ` + value, split at the last `=`. */
  #authenticate(request: RecordedRequest): FakeToken | string {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return 'No ticket';
    const match = /^PVEAPIToken[= ](.+)$/.exec(header);
    if (match?.[1] === undefined) return 'No ticket';
    const split = match[1].lastIndexOf('=');
    const id = match[1].slice(0, split);
    const secret = match[1].slice(split + 1);
    return this.tokens.find((t) => t.id === id && t.secret === secret) ?? 'Authentication failed!';
  }

  #power(
    request: RecordedRequest,
    url: URL,
    token: FakeToken,
    node: string,
    type: GuestType,
    vmidText: string,
    command: string,
  ): FakeAnswer {
    const schema = SCHEMAS[type][command];
    if (schema === undefined) {
      return this.#error(
        501,
        `Method 'POST /nodes/${node}/${type}/${vmidText}/status/${command}' not implemented`,
      );
    }
    const params = this.#params(request, url);
    if (typeof params === 'string') return this.#error(500, params);
    const errors: Record<string, string> = {};
    if (!/^[1-9][0-9]{2,8}$/.test(vmidText))
      errors.vmid = 'invalid format - value does not look like a valid VM ID';
    for (const [name, value] of Object.entries(params)) {
      const expected = schema[name];
      if (expected === undefined) {
        errors[name] =
          'property is not defined in schema and the schema does not allow additional properties';
      } else if (
        expected === 'boolean' &&
        !['0', '1', true, false].includes(value as string | boolean)
      ) {
        errors[name] = `type check ('boolean') failed - got '${String(value)}'`;
      } else if (expected === 'integer' && !/^-?[0-9]+$/.test(String(value))) {
        errors[name] = `type check ('integer') failed - got '${String(value)}'`;
      } else if (ROOT_ONLY.has(name)) {
        errors[name] = 'Only root may use this option.';
      }
    }
    if (Object.keys(errors).length > 0)
      return this.#error(400, 'Parameter verification failed.', errors);
    const vmid = Number(vmidText);
    if (!token.power)
      return this.#error(403, `Permission check failed (/vms/${vmid}, VM.PowerMgmt)`);
    const guest = this.#findGuest(node, type, vmid);
    if (!('vmid' in guest)) return guest;
    const label = type === 'qemu' ? 'VM' : 'CT';
    const running = guest.status === 'running';
    // Synchronous refusals, raised before a task is forked.
    if (type === 'lxc' && command === 'start' && running)
      return this.#error(500, `CT ${vmid} already running`);
    if (type === 'lxc' && (command === 'stop' || command === 'shutdown') && !running)
      return this.#error(500, `CT ${vmid} not running`);
    if (command === 'reset' && !running) return this.#error(500, `${label} ${vmid} not running`);
    // The task's outcome: QEMU start of a running VM fails inside the task.
    let exitstatus = this.#nextTaskError ?? 'OK';
    this.#nextTaskError = undefined;
    const from = guest.status;
    if (type === 'qemu' && command === 'start' && running)
      exitstatus = `VM ${vmid} already running`;
    else if (exitstatus !== 'OK') {
      // The task dies: the guest stays as it was.
    } else if (command === 'start') guest.status = 'running';
    else if (command === 'stop' || command === 'shutdown') guest.status = 'stopped';
    const upid = this.#newTask(
      node,
      TASK_TYPES[type][command] ?? command,
      String(vmid),
      token.id,
      exitstatus,
      command,
      from,
    );
    const task = this.tasks.get(upid);
    if (task !== undefined) this.#guestTasks.set(`${node}/${type}/${vmid}`, task);
    return this.#ok(upid);
  }

  /** The guest, or the error Proxmox gives when the node or the guest is not there. */
  #findGuest(node: string, type: GuestType, vmid: number): FakeGuest | FakeReply {
    if (!this.guests.some((g) => g.node === node)) {
      return this.#error(
        500,
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      );
    }
    const guest = this.guest(node, type, vmid);
    if (guest === undefined) {
      const file =
        type === 'qemu'
          ? `nodes/${node}/qemu-server/${vmid}.conf`
          : `nodes/${node}/lxc/${vmid}.conf`;
      return this.#error(500, `Configuration file '${file}' does not exist`);
    }
    return guest;
  }

  /** `GET …/status/current`: needs VM.Audit; what a guest shows, its running task included. */
  #current(token: FakeToken, node: string, type: GuestType, vmidText: string): FakeAnswer {
    if (!/^[1-9][0-9]{2,8}$/.test(vmidText)) {
      return this.#error(400, 'Parameter verification failed.', {
        vmid: 'invalid format - value does not look like a valid VM ID',
      });
    }
    const vmid = Number(vmidText);
    if (!token.audit) return this.#error(403, `Permission check failed (/vms/${vmid}, VM.Audit)`);
    const guest = this.#findGuest(node, type, vmid);
    if (!('vmid' in guest)) return guest;
    let status: GuestStatus = guest.status;
    let qmpstatus = guest.qmpstatus ?? guest.status;
    const task = this.#guestTasks.get(`${node}/${type}/${vmid}`);
    if (task !== undefined && this.#isRunning(task, false)) {
      const starting = task.command === 'start' && task.exitstatus === 'OK';
      // QEMU is launched before the guest runs; a container shows its old status meanwhile.
      status = starting && type === 'qemu' ? 'running' : task.from;
      qmpstatus = starting ? 'prelaunch' : task.from;
    }
    const up = status === 'running';
    return this.#ok({
      vmid,
      name: `guest-${vmid}`,
      status,
      ...(type === 'qemu' ? { qmpstatus } : {}),
      ...(up ? { pid: 41_234, uptime: 3_605 } : { uptime: 0 }),
      cpus: 2,
      cpu: up ? 0.013 : 0,
      maxmem: 2_147_483_648,
      mem: up ? 734_003_200 : 0,
      maxdisk: 34_359_738_368,
      diskread: 0,
      diskwrite: 0,
      netin: 0,
      netout: 0,
      ha: { managed: 0 },
      ...(guest.lock === undefined ? {} : { lock: guest.lock }),
      ...(type === 'qemu' ? { agent: 1 } : {}),
    });
  }

  /** Whether a task still runs; a poll of its status (`consume`) counts against `taskPolls`. */
  #isRunning(task: Task, consume: boolean): boolean {
    if (this.#options.taskMs !== undefined)
      return Date.now() - task.startedAt < this.#options.taskMs;
    if (task.pollsLeft <= 0) return false;
    if (consume) task.pollsLeft--;
    return true;
  }

  /** Form-encoded or JSON body, merged with the query string, as pveproxy does. */
  #params(request: RecordedRequest, url: URL): Record<string, unknown> | string {
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = request.headers['content-type'];
    if (typeof type === 'string' && type.startsWith('application/json')) {
      try {
        const body = JSON.parse(request.body) as unknown;
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          return 'malformed JSON body';
        Object.assign(params, body);
      } catch {
        return `malformed JSON string, neither tag, array, object, number, string or atom, at character offset 0 (before "${request.body === '' ? '(end of string)' : request.body}")`;
      }
    } else {
      Object.assign(params, Object.fromEntries(new URLSearchParams(request.body)));
    }
    return params;
  }

  #newTask(
    node: string,
    type: string,
    id: string,
    tokenId: string,
    exitstatus: string,
    command: string,
    from: GuestStatus,
  ): string {
    this.#pid++;
    const now = Math.floor(Date.now() / 1000);
    const upid = `UPID:${node}:${hex(this.#pid, 8)}:${hex(0x1c2d3e4 + this.#pid, 8)}:${hex(now, 8)}:${type}:${id}:${tokenId}:`;
    this.tasks.set(upid, {
      upid,
      node,
      type,
      id,
      tokenId,
      exitstatus,
      command,
      from,
      startedAt: Date.now(),
      pollsLeft: this.#options.taskPolls ?? 1,
    });
    return upid;
  }

  #taskStatus(node: string, upid: string): FakeAnswer {
    if (
      !/^UPID:[a-zA-Z0-9-]+:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:$/i.test(
        upid,
      )
    )
      return this.#error(400, 'Parameter verification failed.', {
        upid: 'unable to parse worker upid',
      });
    const task = this.tasks.get(upid);
    if (task === undefined || task.node !== node)
      return this.#error(400, 'Parameter verification failed.', { upid: 'no such task' });
    const [user, tokenid] = task.tokenId.split('!');
    const base = {
      upid,
      node,
      pid: 0,
      pstart: 0,
      starttime: 0,
      type: task.type,
      id: task.id,
      user,
      tokenid,
    };
    if (this.#isRunning(task, true)) return this.#ok({ ...base, status: 'running' });
    return this.#ok({ ...base, status: 'stopped', exitstatus: task.exitstatus });
  }

  #ok(data: unknown): FakeReply {
    return {
      status: 200,
      reason: 'OK',
      headers: {
        'content-type': JSON_TYPE,
        server: 'pve-api-daemon/3.0',
        'cache-control': 'max-age=0',
      },
      body: JSON.stringify({ data }),
    };
  }

  /** The reason phrase carries the message; newer servers repeat it in `message`. */
  #error(status: number, message: string, errors?: Record<string, string>): FakeReply {
    const body: Record<string, unknown> = { data: null };
    if (errors !== undefined) body.errors = errors;
    if (this.#options.omitMessage !== true) body.message = `${message}\n`;
    return {
      status,
      reason: message.split('\n')[0] ?? '',
      headers: { 'content-type': JSON_TYPE, server: 'pve-api-daemon/3.0' },
      body: JSON.stringify(body),
    };
  }
}
