import { setTimeout as sleep } from 'node:timers/promises';
import type { PowerAction } from '../../domain/power.js';
import type { Log } from '../../logger.js';
import { type HttpSettings, ProviderHttp } from '../http/provider-http.js';
import { redactor } from '../http/redact.js';
import {
  accepted,
  type PowerContext,
  type PowerOutcome,
  type PowerProvider,
  type PowerRefused,
  type PowerTarget,
  type ProbeResult,
  type ProviderFailure,
  refused,
} from '../provider.js';
import { dataOf, failureOf, isAlreadyInState, messageOf } from './proxmox-reply.js';
import { type ApiToken, type GuestRef, nodeOfUpid, parseGuestRef } from './proxmox-ref.js';

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
const explain = (status: number, message: string): string => {
  const said = message === '' ? `${status}` : `${status} ${message}`;
  if (status === 401) return `${said}: the API token was not accepted (wrong, deleted or expired)`;
  if (status === 403) return `${said}: the token lacks a privilege (VM.PowerMgmt on the guest)`;
  return said;
};

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

  async close(): Promise<void> {
    await this.#http.close();
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
    const node = nodeOfUpid(upid) ?? '';
    let pause = this.#options.pollIntervalMs ?? 100;
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const result = await this.#get(`/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
      if (!result.ok) {
        return {
          ok: false,
          failure: result.failure,
          detail: `could not be followed: ${result.detail}`,
          status: null,
        };
      }
      const { reply } = result;
      if (reply.status !== 200) {
        const message = this.#redact(messageOf(reply));
        return {
          ok: false,
          failure: failureOf(reply.status, message),
          detail: `could not be followed: ${explain(reply.status, message)}`,
          status: reply.status,
        };
      }
      const task = dataOf(reply) as { status?: unknown; exitstatus?: unknown } | undefined;
      if (task?.status === 'stopped') {
        const exit = typeof task.exitstatus === 'string' ? task.exitstatus : 'unknown';
        if (exit === 'OK' || /^WARNINGS: \d+$/.test(exit)) return { ok: true };
        return {
          ok: false,
          failure: 'upstream_error',
          detail: `failed: ${this.#redact(exit)}`,
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

  #get(path: string) {
    return this.#http.request({ method: 'GET', path: `${API}${path}`, headers: this.#headers });
  }
}
