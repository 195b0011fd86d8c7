import type { HttpReply } from '../http/provider-http.js';
import type { ProviderFailure } from '../provider.js';

/** `{"data": …}` of a success, or `undefined` when the body is not that. */
export const dataOf = (reply: HttpReply): unknown => {
  try {
    const body = JSON.parse(reply.body) as unknown;
    if (typeof body === 'object' && body !== null && 'data' in body) return body.data;
  } catch {
    // Not JSON: the caller reports an unexpected answer.
  }
  return undefined;
};

/**
 * The error message of a Proxmox answer: `message` of the body (PVE 8.3 and later), else the
 * reason phrase (where older versions put it); parameter errors (`errors`) are appended.
 */
export const messageOf = (reply: HttpReply): string => {
  let message = '';
  let errors = '';
  try {
    const body = JSON.parse(reply.body) as { message?: unknown; errors?: unknown } | null;
    if (typeof body?.message === 'string') message = body.message.trim();
    if (typeof body?.errors === 'object' && body.errors !== null) {
      errors = Object.entries(body.errors as Record<string, unknown>)
        .map(([name, text]) => `${name}: ${String(text).trim()}`)
        .join('; ');
    }
  } catch {
    // Empty (a 401) or not JSON.
  }
  if (message === '') message = reply.statusText.trim();
  return errors === '' ? message : `${message} (${errors})`;
};

/** What kind of refusal an error answer is. */
export const failureOf = (status: number, message: string): ProviderFailure => {
  if (status === 401 || status === 403) return 'auth';
  if (status === 400) return 'rejected';
  if (status === 404) return 'not_found';
  if (status === 501) return 'unsupported';
  if (status === 595 || status === 596) return 'unreachable';
  if (status === 500) {
    if (/does not exist|unable to find configuration file|no such (vm|ct|guest)/i.test(message))
      return 'not_found';
    if (/locked \(suspended\)/i.test(message)) return 'suspended';
    if (/not running/i.test(message)) return 'not_running';
    if (/locked|already running|is paused|is a template/i.test(message)) return 'conflict';
  }
  return 'upstream_error';
};

/** LXC answers a start of a running container, or a stop of a stopped one, with a plain 500. */
export const isAlreadyInState = (
  status: number,
  message: string,
  wanted: 'running' | 'stopped',
): boolean =>
  status === 500 &&
  (wanted === 'running' ? /^CT \d+ already running$/ : /^CT \d+ not running$/).test(message);
