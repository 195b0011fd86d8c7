import { AdminError } from '../../domain/admin-error.js';
import { checkUrl, httpSettingsOf, maskTail, transportSettings } from '../http/remote-options.js';
import type { ProviderCredential, ProviderFactory } from '../provider.js';
import { GUEST_REF_FORMAT, guestRefProblem, parseApiToken } from './proxmox-ref.js';
import { ProxmoxProvider } from './proxmox-provider.js';

const EXAMPLE_URL = 'https://pve1.example.net:8006';

const credentialOf = (text: string): ProviderCredential => {
  const token = parseApiToken(text);
  if (token === null) {
    throw new AdminError(
      'invalid --token: expected a Proxmox API token as USER@REALM!TOKENID=SECRET, e.g. heo@pve!power=<the UUID shown when the token was created>',
    );
  }
  return { value: `${token.id}=${token.secret}`, hint: `${token.id}=${maskTail(token.secret)}` };
};

/** Proxmox VE clusters: VPS as QEMU virtual machines or LXC containers. */
export const proxmoxFactory: ProviderFactory = {
  type: 'proxmox',
  resourceTypes: ['vps'],
  refFormat: GUEST_REF_FORMAT,
  checkRef: (_type, ref) => guestRefProblem(ref),
  configure: (options) => {
    // The API lives at /api2/json of the origin; accept the origin with or without that path.
    const url = checkUrl(options.url, EXAMPLE_URL, (path) =>
      path === '' || path === '/api2/json' ? '' : null,
    );
    if (options.token === undefined)
      throw new AdminError('--token is required: USER@REALM!TOKENID=SECRET');
    return {
      settings: { url, ...transportSettings(options) },
      credential: credentialOf(options.token),
    };
  },
  credentialOf: (token) => credentialOf(token),
  create: (record, { defaultTimeoutMs, secrets }) => {
    if (record.secret === null) throw new Error(`proxmox provider ${record.name} has no token`);
    const token = parseApiToken(secrets.open(record.name, record.secret));
    if (token === null) throw new Error(`proxmox provider ${record.name} has a malformed token`);
    return new ProxmoxProvider({
      name: record.name,
      http: httpSettingsOf(record.settings, defaultTimeoutMs),
      token,
    });
  },
};
