import type { HttpReply } from '../http/provider-http.js';
import type { ProviderFailure } from '../provider.js';

/** The `{"errors":[{code,status,detail}]}` of a panel error, as one line. */
export const errorsOf = (reply: HttpReply): string => {
  try {
    const body = JSON.parse(reply.body) as { errors?: unknown } | null;
    if (Array.isArray(body?.errors)) {
      const lines = (body.errors as unknown[]).map((entry) => {
        const { code, detail } = (entry ?? {}) as { code?: unknown; detail?: unknown };
        const text = typeof detail === 'string' ? detail : '';
        return typeof code === 'string' ? `${code}: ${text}` : text;
      });
      if (lines.length > 0) return lines.join('; ');
    }
  } catch {
    // An HTML error page, or nothing.
  }
  return reply.statusText;
};

/** What kind of refusal an error answer is; a 409's text tells a suspended server apart. */
export const failureOf = (status: number, message = ''): ProviderFailure => {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 409) return /currently suspended/i.test(message) ? 'suspended' : 'conflict';
  if (status === 400 || status === 422 || status === 429) return 'rejected';
  return 'upstream_error';
};

const headerOf = (reply: HttpReply, name: string): string | undefined => {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The panel's answer, explained for operators. */
export const describe = (reply: HttpReply): string => {
  const { status } = reply;
  if (status >= 300 && status < 400) {
    const location = headerOf(reply, 'location') ?? 'nowhere';
    return `${status} redirect to ${location}: not the panel's client API (check --url), or the panel ignored Accept: application/json`;
  }
  const said = `${status} ${errorsOf(reply)}`.trim();
  if (status === 401) return `${said}: the API key was not accepted (wrong or deleted)`;
  if (status === 403)
    return `${said}: the key may not do this (use a client key of an admin account, check its allowed IPs)`;
  if (status === 404)
    return `${said}: no such server, or the key's account cannot see it (use an admin account's key)`;
  if (status === 429) return `${said} (retry after ${headerOf(reply, 'retry-after') ?? '?'} s)`;
  return said;
};
