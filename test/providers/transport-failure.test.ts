import { describe, expect, it } from 'vitest';
import { classifyTransportError } from '../../src/providers/http/transport-failure.js';

const at = { host: 'pve1.example.net', port: '8006', timeoutMs: 2_500 };
const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

/** Failures that loopback tests cannot provoke reliably, checked on the errors Node raises. */
describe('transport failures, in words an operator can act on', () => {
  it.each([
    ['ENOTFOUND', 'unreachable', 'DNS: the name "pve1.example.net" cannot be resolved (ENOTFOUND)'],
    ['EAI_AGAIN', 'unreachable', 'DNS: the name "pve1.example.net" cannot be resolved (EAI_AGAIN)'],
    ['EHOSTUNREACH', 'unreachable', 'no route to pve1.example.net:8006 (EHOSTUNREACH)'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', 'no connection to pve1.example.net:8006 within 2500 ms'],
    [
      'CERT_HAS_EXPIRED',
      'tls',
      'TLS: the certificate of pve1.example.net:8006 is outside its validity period (CERT_HAS_EXPIRED)',
    ],
    [
      'UND_ERR_BODY_TIMEOUT',
      'timeout',
      'the answer from pve1.example.net:8006 stalled for 2500 ms',
    ],
  ])('%s', (code, failure, detail) => {
    expect(classifyTransportError(errno(code), at)).toEqual({
      failure,
      detail,
      nothingSent: false,
    });
  });

  it('retries nothing but a refused connection, also when every address refused', () => {
    const refused = new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], 'refused');
    expect(classifyTransportError(refused, at)).toMatchObject({
      failure: 'unreachable',
      nothingSent: true,
    });
    expect(classifyTransportError(errno('ECONNRESET'), at)).toMatchObject({ nothingSent: false });
  });
});
