import { setTimeout as sleep } from 'node:timers/promises';
import type { PowerAction } from '../../domain/power.js';
import type { Log } from '../../logger.js';
import { type HttpReply, type HttpSettings, ProviderHttp } from '../http/provider-http.js';
import { redactor } from '../http/redact.js';
import { retryAfterMsOf } from '../http/retry-after.js';
import {
  accepted,
  type PowerContext,
  type PowerOutcome,
  type PowerProvider,
  type PowerRefused,
  type PowerTarget,
  type ProbeResult,
  type ProviderFailure,
  type ReadFailed,
  readFailed,
  refused,
  type StateOutcome,
  stateRead,
  TASK_RUNNING,
  taskEnded,
  type TaskOutcome,
} from '../provider.js';
import { dataOf, failureOf, isAlreadyInState, messageOf } from './proxmox-reply.js';
import { type ApiToken, type GuestRef, nodeOfUpid, parseGuestRef } from './proxmox-ref.js';
import { guestStateOf } from './proxmox-state.js';

export interface ProxmoxOptions {
  readonly name: string;
  readonly http: HttpSettings;
  readonly token: ApiToken;
  /** First pause between two polls of a task; doubles up to one second. */
  readonly pollIntervalMs?: number;
}

/** The outcome of one power POST. */
type Step =
  | { readonly kind: 'task'; readonly upid: string | null; readonly status: number }
  | { readonly kind: 'already'; readonly status: number; readonly message: string }
  | { readonly kind: 'refused'; readonly outcome: PowerRefused };

type TaskEnd =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly failure: ProviderFailure;
      readonly detail: string;
      readonly status: number | null;
    };

const API = '/api2/json';
const MAX_POLLS = 1_000;

/** Why an authentication or permission answer came, for operators. */
const explain = (
  status: number,
  message: string,
  privilege = 'VM.PowerMgmt on the guest',
): string => {
  const said = message === '' ? `${status}` : `${status} ${message}`;
  if (status === 401) return `${said}: the API token was not accepted (wrong, deleted or expired)`;
  if (status === 403) return `${said}: the token lacks a privilege (${privilege})`;
  if (status === 429) return `${said}: rate limited (by a proxy in front of Proxmox VE)`;
  return said;
};

/** Exit statuses of a task that did its work (`PVE::Tools::upid_status_is_error`). */
const isSuccessExit = (exit: string): boolean => exit === 'OK' || /^WARNINGS: \d+$/.test(exit);

/**
 * Proxmox VE over its JSON API with an API token. VPS start is `start`, stop is `shutdown` with
 * `forceStop=1`, reset is `reset` for QEMU and, since containers have no reset, a hard `stop`
 * followed (once its task has finished) by `start` for LXC.
 */
export class ProxmoxProvider implements PowerProvider {
  readonly type = 'proxmox' as const;
  readonly #options: ProxmoxOptions;
  readonly #http: ProviderHttp;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #redact: (text: string) => string;

  constructor(options: ProxmoxOptions) {
    this.#options = options;
    this.#http = new ProviderHttp(options.http);
    const value = `${options.token.id}=${options.token.secret}`;
    this.#headers = { authorization: `PVEAPIToken=${value}`, accept: 'application/json' };
    this.#redact = redactor([value, options.token.secret]);
  }

  async power(
    target: PowerTarget,
    action: PowerAction,
    context: PowerContext,
  ): Promise<PowerOutcome> {
    const guest = parseGuestRef(target.ref);
    if (guest === null || target.resourceType !== 'vps')
      return refused('rejected', `"${target.ref}" is not a Proxmox guest reference`);
    switch (action) {
      case 'start':
        return this.#single(guest, 'start', 'running');
      case 'stop':
        return this.#single(guest, 'shutdown', 'stopped', { forceStop: '1' });
      case 'reset':
        return guest.type === 'qemu'
          ? this.#single(guest, 'reset', null)
          : this.#resetContainer(guest, context.logger);
      case 'restart':
      case 'kill':
        return refused('unsupported', `Proxmox VPS have no "${action}" action`);
    }
  }

  async probe(): Promise<ProbeResult> {
    const url = this.#options.http.url;
    const version = await this.#get('/version');
    if (!version.ok) {
      return {
        ok: false,
        failure: version.failure,
        message: `cannot reach Proxmox VE at ${url}: ${version.detail}`,
      };
    }
    const { reply } = version;
    if (reply.status === 401 || reply.status === 403) {
      return {
        ok: false,
        failure: 'auth',
        message: `Proxmox VE at ${url} refused the token ${this.#options.token.id}: ${explain(reply.status, this.#redact(messageOf(reply)))}`,
      };
    }
    const data = dataOf(reply) as { version?: unknown } | undefined;
    if (reply.status !== 200 || typeof data?.version !== 'string') {
      return {
        ok: false,
        failure: 'upstream_error',
        message: `unexpected answer from ${url} (HTTP ${reply.status}): is this the Proxmox VE API (usually port 8006)?`,
      };
    }
    const intro = `Proxmox VE ${data.version} at ${url} accepted the token ${this.#options.token.id}`;
    const guests = await this.#get('/cluster/resources?type=vm');
    const list = guests.ok && guests.reply.status === 200 ? dataOf(guests.reply) : undefined;
    if (!Array.isArray(list)) {
      return {
        ok: true,
        message: `${intro}, but it may not list guests: grant it VM.Audit on the guests`,
      };
    }
    if (list.length === 0) {
      return {
        ok: true,
        message: `${intro}; it sees no guests: grant it VM.Audit and VM.PowerMgmt on them (e.g. on /vms)`,
      };
    }
    return {
      ok: true,
      message: `${intro}; it sees ${list.length} guest${list.length === 1 ? '' : 's'}`,
    };
  }

  async state(target: PowerTarget, context: PowerContext): Promise<StateOutcome> {
    const guest = parseGuestRef(target.ref);
    if (guest === null || target.resourceType !== 'vps')
      return readFailed('rejected', `"${target.ref}" is not a Proxmox guest reference`);
    const result = await this.#get(
      `/nodes/${guest.node}/${guest.type}/${guest.vmid}/status/current`,
    );
    const outcome = ((): StateOutcome => {
      if (!result.ok) return readFailed(result.failure, `status: ${result.detail}`);
      const { reply } = result;
      if (reply.status !== 200) {
        const failed = this.#readRefusal(reply, 'VM.Audit on the guest');
        return { ...failed, detail: `status: ${failed.detail}` };
      }
      const read = guestStateOf(guest.type, dataOf(reply));
      if (read === null) {
        return readFailed(
          'upstream_error',
          'status: unexpected answer (HTTP 200 without a guest status): is this the Proxmox VE API?',
          200,
        );
      }
      return stateRead(read.state, this.#redact(read.detail), read.uptimeMs);
    })();
    if (!outcome.read) this.#logReadFailure(context, target, outcome);
    return outcome;
  }

  async followTask(
    target: PowerTarget,
    taskRef: string,
    context: PowerContext,
  ): Promise<TaskOutcome> {
    if (nodeOfUpid(taskRef) === null)
      return readFailed('rejected', `"${taskRef}" is not a Proxmox task id (UPID)`);
    const task = await this.#readTask(taskRef);
    if (task.read) return task;
    const failed = { ...task, detail: `task ${taskRef}: ${task.detail}` };
    this.#logReadFailure(context, target, failed);
    return failed;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  #logReadFailure(context: PowerContext, target: PowerTarget, failed: ReadFailed): void {
    context.logger.debug(
      {
        provider: this.#options.name,
        ref: target.ref,
        failure: failed.failure,
        upstreamStatus: failed.upstreamStatus,
        detail: failed.detail,
      },
      'provider read failed',
    );
  }

  async #single(
    guest: GuestRef,
    command: string,
    wanted: 'running' | 'stopped' | null,
    params?: Readonly<Record<string, string>>,
  ): Promise<PowerOutcome> {
    const step = await this.#post(guest, command, wanted, params);
    if (step.kind === 'refused') return step.outcome;
    if (step.kind === 'already') return accepted(null, step.status, true, step.message);
    return accepted(step.upid, step.status);
  }

  /** Containers have no reset: a hard stop, its task awaited, then a start. */
  async #resetContainer(guest: GuestRef, logger: Log): Promise<PowerOutcome> {
    const deadline = Date.now() + this.#options.http.timeoutMs;
    const stop = await this.#post(guest, 'stop', null);
    if (stop.kind === 'refused') {
      return { ...stop.outcome, detail: `reset (hard stop, then start): ${stop.outcome.detail}` };
    }
    if (stop.kind !== 'task' || stop.upid === null) {
      return refused(
        'upstream_error',
        'reset: the stop answered without a task id; the container was not started again',
        200,
      );
    }
    const ended = await this.#waitForTask(stop.upid, deadline);
    if (!ended.ok) {
      return refused(
        ended.failure,
        `reset: the stop task ${stop.upid} ${ended.detail}; the container was not started again`,
        ended.status,
      );
    }
    logger.info({ provider: this.#options.name, task: stop.upid }, 'container stopped for a reset');
    const start = await this.#post(guest, 'start', 'running');
    const stopped = `stopped by ${stop.upid}, then started`;
    if (start.kind === 'refused') {
      return {
        ...start.outcome,
        detail: `reset: the container was stopped by ${stop.upid}, but the start failed: ${start.outcome.detail}`,
      };
    }
    if (start.kind === 'already')
      return accepted(null, start.status, false, `${stopped}: ${start.message}`);
    return accepted(start.upid, start.status, false, stopped);
  }

  async #post(
    guest: GuestRef,
    command: string,
    wanted: 'running' | 'stopped' | null,
    params?: Readonly<Record<string, string>>,
  ): Promise<Step> {
    const path = `${API}/nodes/${guest.node}/${guest.type}/${guest.vmid}/status/${command}`;
    // Parameterless POSTs carry no body and no JSON content type (an empty JSON body is an error).
    const result = await this.#http.request({
      method: 'POST',
      path,
      headers:
        params === undefined
          ? this.#headers
          : { ...this.#headers, 'content-type': 'application/x-www-form-urlencoded' },
      ...(params === undefined ? {} : { body: new URLSearchParams(params).toString() }),
    });
    if (!result.ok)
      return { kind: 'refused', outcome: refused(result.failure, `${command}: ${result.detail}`) };
    const { reply } = result;
    if (reply.status === 200) {
      const data = dataOf(reply);
      const upid = typeof data === 'string' && nodeOfUpid(data) !== null ? data : null;
      return { kind: 'task', upid, status: 200 };
    }
    const message = this.#redact(messageOf(reply));
    if (wanted !== null && guest.type === 'lxc' && isAlreadyInState(reply.status, message, wanted))
      return { kind: 'already', status: reply.status, message };
    return {
      kind: 'refused',
      outcome: refused(
        failureOf(reply.status, message),
        `${command}: ${explain(reply.status, message)}`,
        reply.status,
      ),
    };
  }

  async #waitForTask(upid: string, deadline: number): Promise<TaskEnd> {
    let pause = this.#options.pollIntervalMs ?? 100;
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const task = await this.#readTask(upid);
      if (!task.read) {
        return {
          ok: false,
          failure: task.failure,
          detail: `could not be followed: ${task.detail}`,
          status: task.upstreamStatus,
        };
      }
      if (task.done) {
        if (task.ok) return { ok: true };
        return {
          ok: false,
          failure: 'upstream_error',
          detail: `failed: ${task.detail ?? 'unknown'}`,
          status: 200,
        };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await sleep(Math.min(pause, remaining));
      pause = Math.min(pause * 2, 1_000);
    }
    return {
      ok: false,
      failure: 'timeout',
      detail: `did not finish within ${this.#options.http.timeoutMs} ms`,
      status: null,
    };
  }

  /** One poll of `GET /nodes/{node}/tasks/{upid}/status`; `upid` must be a parsed task id. */
  async #readTask(upid: string): Promise<TaskOutcome> {
    const node = nodeOfUpid(upid) ?? '';
    const result = await this.#get(`/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
    if (!result.ok) return readFailed(result.failure, result.detail);
    const { reply } = result;
    if (reply.status !== 200)
      return this.#readRefusal(reply, `Sys.Audit on /nodes/${node}, or a task this token started`);
    const task = dataOf(reply) as { status?: unknown; exitstatus?: unknown } | undefined;
    if (task?.status === 'running') return TASK_RUNNING;
    if (task?.status === 'stopped') {
      const exit = typeof task.exitstatus === 'string' ? task.exitstatus : 'unknown';
      return taskEnded(isSuccessExit(exit), this.#redact(exit));
    }
    return readFailed(
      'upstream_error',
      'unexpected answer (HTTP 200 without a task status): is this the Proxmox VE API?',
      200,
    );
  }

  /** An error answer to a read, as a failure value; a 429 carries how long to wait. */
  #readRefusal(reply: HttpReply, privilege: string): ReadFailed {
    const message = this.#redact(messageOf(reply));
    const detail = explain(reply.status, message, privilege);
    if (reply.status === 429 || reply.status === 503) {
      const wait = retryAfterMsOf(reply);
      if (reply.status === 429 || wait !== undefined)
        return readFailed(
          reply.status === 429 ? 'rate_limited' : 'upstream_error',
          detail,
          reply.status,
          wait,
        );
    }
    // An unknown task is a 400 "no such task": it is not there, rather than a bad request.
    const failure =
      reply.status === 400 && /no such task/.test(message)
        ? 'not_found'
        : failureOf(reply.status, message);
    return readFailed(failure, detail, reply.status);
  }

  #get(path: string) {
    return this.#http.request({ method: 'GET', path: `${API}${path}`, headers: this.#headers });
  }
}
