import type { ProviderFailure } from '../provider.js';

/** A call that got no HTTP answer, in words an operator can act on. */
export interface TransportFailure {
  readonly failure: ProviderFailure;
  readonly detail: string;
  /** Nothing reached the provider (the connection was refused), so one retry is safe. */
  readonly nothingSent: boolean;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

const codeOf = (error: unknown): string | undefined => {
  const { code, errors } = (error ?? {}) as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connection attempts fail with an AggregateError of each address's error.
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0]);
  return undefined;
};

export interface Endpoint {
  readonly host: string;
  readonly port: string;
  readonly timeoutMs: number;
}

/** Translates an undici or socket error into a provider failure. */
export const classifyTransportError = (error: unknown, at: Endpoint): TransportFailure => {
  const code = codeOf(error) ?? (error instanceof Error ? error.name : 'unknown error');
  const where = `${at.host}:${at.port}`;
  const fail = (failure: ProviderFailure, detail: string, nothingSent = false) => ({
    failure,
    detail,
    nothingSent,
  });
  if (code === 'ECONNREFUSED') {
    return fail(
      'unreachable',
      `connection refused by ${where}: is the API running there, and is the port right?`,
      true,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return fail('unreachable', `DNS: the name "${at.host}" cannot be resolved (${code})`);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') {
    return fail('unreachable', `no route to ${where} (${code})`);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return fail('timeout', `no connection to ${where} within ${at.timeoutMs} ms`);
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return fail('timeout', `no answer from ${where} within ${at.timeoutMs} ms`);
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return fail('timeout', `the answer from ${where} stalled for ${at.timeoutMs} ms`);
  }
  if (UNTRUSTED.has(code)) {
    return fail(
      'tls',
      `TLS: the certificate of ${where} is not trusted (${code}, e.g. self-signed): give the CA that signed it with --ca-file, or use --insecure-tls`,
    );
  }
  if (EXPIRED.has(code)) {
    return fail('tls', `TLS: the certificate of ${where} is outside its validity period (${code})`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fail(
      'tls',
      `TLS: the certificate of ${where} is not valid for the name "${at.host}" (hostname mismatch): use a name the certificate was issued for in --url`,
    );
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return fail(
      'tls',
      `TLS: the handshake with ${where} failed (${code}): does it speak HTTPS on that port?`,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') {
    return fail('unreachable', `${where} closed the connection before answering (${code})`);
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return fail('upstream_error', `the answer from ${where} was too large`);
  }
  return fail('unreachable', `the request to ${where} failed (${code})`);
};
