import type { PowerAction } from '../../domain/power.js';
import { type HttpSettings, ProviderHttp } from '../http/provider-http.js';
import { redactor } from '../http/redact.js';
import { retryAfterMsOf } from '../http/retry-after.js';
import {
  accepted,
  type PowerContext,
  type PowerOutcome,
  type PowerProvider,
  type PowerTarget,
  type ProbeResult,
  readFailed,
  refused,
  type StateOutcome,
  stateRead,
} from '../provider.js';
import { describe, failureOf } from './pterodactyl-reply.js';
import { serverStateOf } from './pterodactyl-state.js';
import { serverRefProblem } from './pterodactyl-ref.js';

export interface PterodactylOptions {
  readonly name: string;
  readonly http: HttpSettings;
  /** A client API key (`ptlc_…` or `pacc_…`). */
  readonly apiKey: string;
}

const SIGNALS: ReadonlySet<PowerAction> = new Set(['start', 'stop', 'restart', 'kill']);

/**
 * Pterodactyl and Pelican panels over the client API: each game action is the power signal of the
 * same name. The panel answers 204 at once and runs the action in the background.
 */
export class PterodactylProvider implements PowerProvider {
  readonly type = 'pterodactyl' as const;
  readonly #options: PterodactylOptions;
  readonly #http: ProviderHttp;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #redact: (text: string) => string;

  constructor(options: PterodactylOptions) {
    this.#options = options;
    this.#http = new ProviderHttp(options.http);
    // Without a JSON Accept header the panel answers errors with redirects and HTML pages.
    this.#headers = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' };
    this.#redact = redactor([options.apiKey, options.apiKey.slice(16)]);
  }

  async power(target: PowerTarget, action: PowerAction): Promise<PowerOutcome> {
    if (target.resourceType !== 'game' || serverRefProblem(target.ref) !== null)
      return refused('rejected', `"${target.ref}" is not a panel server identifier`);
    if (!SIGNALS.has(action))
      return refused('unsupported', `game servers have no "${action}" signal`);
    const result = await this.#http.request({
      method: 'POST',
      path: `/api/client/servers/${target.ref}/power`,
      headers: { ...this.#headers, 'content-type': 'application/json' },
      body: JSON.stringify({ signal: action }),
    });
    if (!result.ok) return refused(result.failure, `${action}: ${result.detail}`);
    const { reply } = result;
    if (reply.status === 204 || reply.status === 202) return accepted(null, reply.status);
    const detail = this.#redact(describe(reply));
    const failure =
      reply.status >= 300 && reply.status < 400
        ? 'upstream_error'
        : failureOf(reply.status, detail);
    return refused(failure, `${action}: ${detail}`, reply.status);
  }

  async probe(): Promise<ProbeResult> {
    const url = this.#options.http.url;
    const result = await this.#http.request({
      method: 'GET',
      path: '/api/client/account',
      headers: this.#headers,
    });
    if (!result.ok) {
      return {
        ok: false,
        failure: result.failure,
        message: `cannot reach the panel at ${url}: ${result.detail}`,
      };
    }
    const { reply } = result;
    if (
      reply.status === 401 ||
      reply.status === 403 ||
      (reply.status >= 300 && reply.status < 400)
    ) {
      const failure = reply.status >= 400 ? failureOf(reply.status) : 'upstream_error';
      return {
        ok: false,
        failure,
        message: `the panel at ${url} ${reply.status >= 400 ? 'refused the key' : 'answered'}: ${this.#redact(describe(reply))}`,
      };
    }
    let account: { username?: unknown; admin?: unknown } | undefined;
    try {
      const body = JSON.parse(reply.body) as {
        object?: unknown;
        attributes?: typeof account;
      } | null;
      if (body?.object === 'user') account = body.attributes;
    } catch {
      account = undefined;
    }
    if (reply.status !== 200 || account === undefined || typeof account.username !== 'string') {
      return {
        ok: false,
        failure: 'upstream_error',
        message: `unexpected answer from ${url} (HTTP ${reply.status}): is this a Pterodactyl or Pelican panel?`,
      };
    }
    const who = `the panel at ${url} accepted the key of "${this.#redact(account.username)}"`;
    return account.admin === true
      ? { ok: true, message: `${who}, an admin: it can power every server` }
      : {
          ok: true,
          message: `${who}, which is not an admin: it can only power the servers that account owns or is a subuser of`,
        };
  }

  /**
   * `GET /api/client/servers/{id}/resources`, the client API's view of what Wings reports. The
   * panel caches it for 20 s per server, so right after a signal it may still show the old state.
   */
  async state(target: PowerTarget, context: PowerContext): Promise<StateOutcome> {
    if (target.resourceType !== 'game' || serverRefProblem(target.ref) !== null)
      return readFailed('rejected', `"${target.ref}" is not a panel server identifier`);
    const result = await this.#http.request({
      method: 'GET',
      path: `/api/client/servers/${target.ref}/resources`,
      headers: this.#headers,
    });
    const outcome = ((): StateOutcome => {
      if (!result.ok) return readFailed(result.failure, `resources: ${result.detail}`);
      const { reply } = result;
      if (reply.status !== 200) {
        const detail = `resources: ${this.#redact(describe(reply))}`;
        if (reply.status === 429)
          return readFailed('rate_limited', detail, 429, retryAfterMsOf(reply));
        const failure =
          reply.status >= 300 && reply.status < 400 ? 'upstream_error' : failureOf(reply.status);
        return readFailed(failure, detail, reply.status);
      }
      const read = serverStateOf(reply.body);
      if (read === null) {
        return readFailed(
          'upstream_error',
          'resources: unexpected answer (HTTP 200 without stats): is this a Pterodactyl or Pelican panel?',
          200,
        );
      }
      return stateRead(read.state, this.#redact(read.detail), read.uptimeMs);
    })();
    if (!outcome.read) {
      context.logger.debug(
        {
          provider: this.#options.name,
          ref: target.ref,
          failure: outcome.failure,
          upstreamStatus: outcome.upstreamStatus,
          detail: outcome.detail,
        },
        'provider read failed',
      );
    }
    return outcome;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}
