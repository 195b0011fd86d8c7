import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { AdminError } from '../../domain/admin-error.js';
import type { JsonObject } from '../../store/store.js';
import type { ProviderOptions } from '../provider.js';
import { booleanSetting, numberSetting, stringSetting } from '../settings.js';
import type { HttpSettings } from './provider-http.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of PEM text (anything else in it, such as a private key, is left out), and the
 * SHA-256 fingerprint of the first, for listings. `source` names it in messages.
 */
const caCertificates = (text: string, source: string): { pem: string; fingerprint: string } => {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0)
    throw new AdminError(`${source} holds no PEM certificate (BEGIN CERTIFICATE)`);
  const certificates = blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new AdminError(`${source} holds a certificate that cannot be parsed`);
    }
  });
  return { pem: `${blocks.join('\n')}\n`, fingerprint: certificates[0]?.fingerprint256 ?? '' };
};

/** The certificates of a PEM file (`--ca-file`). */
const readCaFile = (path: string): { pem: string; fingerprint: string } => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AdminError(
      `cannot read the CA file "${path}" (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  return caCertificates(text, `the CA file "${path}"`);
};

/** The CA as given: a file to read (the CLI) or its PEM text (the admin API). */
const caOf = (options: ProviderOptions): { pem: string; fingerprint: string } | undefined => {
  if (options.caFile !== undefined && options.caPem !== undefined)
    throw new AdminError('give the CA as a file or as PEM text, not both');
  if (options.caPem !== undefined) return caCertificates(options.caPem, 'the CA certificate');
  return options.caFile === undefined ? undefined : readCaFile(options.caFile);
};

/**
 * The URL an operator gave, checked: HTTPS only (a token never travels in the clear), no user
 * info, query or fragment. `normalizePath` maps the path to the stored base path.
 */
export const checkUrl = (
  raw: string | undefined,
  example: string,
  normalizePath: (path: string) => string | null,
): string => {
  if (raw === undefined || raw.trim() === '')
    throw new AdminError(`--url is required, e.g. ${example}`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AdminError(`invalid --url "${raw}": expected an address like ${example}`);
  }
  if (url.protocol !== 'https:')
    throw new AdminError(
      `invalid --url "${raw}": it must start with https:// (tokens are never sent in the clear)`,
    );
  if (url.username !== '' || url.password !== '')
    throw new AdminError(
      'invalid --url: it must not contain a user name or password (use --token)',
    );
  if (url.search !== '' || url.hash !== '')
    throw new AdminError(`invalid --url "${raw}": it must not have a query or fragment`);
  const path = normalizePath(url.pathname.replace(/\/+$/, ''));
  if (path === null)
    throw new AdminError(`invalid --url "${raw}": expected an address like ${example}`);
  return `${url.origin}${path}`;
};

/** Settings shared by the HTTP providers: timeout and TLS. */
export const transportSettings = (options: ProviderOptions): JsonObject => {
  if (options.transitionMs !== undefined)
    throw new AdminError('--transition-ms is only for simulator providers');
  if (options.insecureTls === true && options.caFile !== undefined) {
    throw new AdminError(
      '--ca-file and --insecure-tls exclude each other: --ca-file keeps certificate checks on with your CA, --insecure-tls turns them off',
    );
  }
  if (options.insecureTls === true && options.caPem !== undefined) {
    throw new AdminError(
      'a CA certificate and insecure TLS exclude each other: the CA keeps certificate checks on with your CA, insecure TLS turns them off',
    );
  }
  const ca = caOf(options);
  return {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(ca === undefined ? {} : { caPem: ca.pem, caFingerprint256: ca.fingerprint }),
    ...(options.insecureTls === true ? { insecureTls: true } : {}),
  };
};

export const httpSettingsOf = (settings: JsonObject, defaultTimeoutMs: number): HttpSettings => {
  const url = stringSetting(settings, 'url');
  if (url === undefined) throw new Error('provider settings have no url');
  return {
    url,
    caPem: stringSetting(settings, 'caPem'),
    insecureTls: booleanSetting(settings, 'insecureTls'),
    timeoutMs: numberSetting(settings, 'timeoutMs') ?? defaultTimeoutMs,
  };
};

/** Masks all but the end of a secret: `…3f9a`. */
export const maskTail = (secret: string): string => `…${secret.slice(-4)}`;
