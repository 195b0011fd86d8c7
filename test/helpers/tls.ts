import { generate } from 'selfsigned';

/**
 * Certificates made at test time with the `selfsigned` package (pure JavaScript on WebCrypto, so
 * no `openssl` binary is needed on the machine): a private CA, a server certificate it signed for
 * 127.0.0.1 and localhost, one it signed for another name, and a self-signed one.
 */
export interface TestTls {
  readonly caPem: string;
  /** Signed by the CA, valid for 127.0.0.1, ::1 and localhost. */
  readonly server: { readonly key: string; readonly cert: string };
  /** Signed by the CA for `pve.other.test` only: a hostname mismatch on 127.0.0.1. */
  readonly wrongName: { readonly key: string; readonly cert: string };
  /** Self-signed for 127.0.0.1: what a fresh Proxmox node presents to an outsider. */
  readonly selfSigned: { readonly key: string; readonly cert: string };
}

let cached: Promise<TestTls> | undefined;

const make = async (): Promise<TestTls> => {
  const ca = await generate([{ name: 'commonName', value: 'heo-power test CA' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const leaf = async (name: string, altNames: { type: 2 | 7; value?: string; ip?: string }[]) => {
    const pems = await generate([{ name: 'commonName', value: name }], {
      algorithm: 'sha256',
      keyType: 'ec',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    });
    return { key: pems.private, cert: pems.cert };
  };
  const self = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return {
    caPem: ca.cert,
    server: await leaf('localhost', [
      { type: 2, value: 'localhost' },
      { type: 7, ip: '127.0.0.1' },
      { type: 7, ip: '::1' },
    ]),
    wrongName: await leaf('pve.other.test', [{ type: 2, value: 'pve.other.test' }]),
    selfSigned: { key: self.private, cert: self.cert },
  };
};

/** Made once per test process. */
export const testTls = (): Promise<TestTls> => (cached ??= make());
