import { AdminError } from '../../domain/admin-error.js';
import { checkUrl, httpSettingsOf, maskTail, transportSettings } from '../http/remote-options.js';
import type { ProviderCredential, ProviderFactory } from '../provider.js';
import { clientKeyProblem, SERVER_REF_FORMAT, serverRefProblem } from './pterodactyl-ref.js';
import { PterodactylProvider } from './pterodactyl-provider.js';

const EXAMPLE_URL = 'https://panel.example.net';

const credentialOf = (text: string): ProviderCredential => {
  const key = text.trim();
  const problem = clientKeyProblem(key);
  if (problem === 'application') {
    throw new AdminError(
      'invalid --token: this is an application API key (ptla_/papp_), which has no power control; create a client API key (ptlc_/pacc_) on an admin account under Account → API Credentials',
    );
  }
  if (problem === 'shape') {
    throw new AdminError(
      'invalid --token: expected a client API key of 48 characters starting with ptlc_ (Pterodactyl) or pacc_ (Pelican)',
    );
  }
  return { value: key, hint: `${key.slice(0, 5)}${maskTail(key)}` };
};

/** Pterodactyl and Pelican panels: game servers, driven with a client API key. */
export const pterodactylFactory: ProviderFactory = {
  type: 'pterodactyl',
  resourceTypes: ['game'],
  refFormat: SERVER_REF_FORMAT,
  checkRef: (_type, ref) => serverRefProblem(ref),
  configure: (options) => {
    // The panel may live below a path; the client API is at /api/client under it.
    const url = checkUrl(options.url, EXAMPLE_URL, (path) => path.replace(/\/api(\/client)?$/, ''));
    if (options.token === undefined)
      throw new AdminError('--token is required: a client API key (ptlc_… or pacc_…)');
    return {
      settings: { url, ...transportSettings(options) },
      credential: credentialOf(options.token),
    };
  },
  credentialOf: (token) => credentialOf(token),
  create: (record, { defaultTimeoutMs, secrets }) => {
    if (record.secret === null) throw new Error(`pterodactyl provider ${record.name} has no key`);
    return new PterodactylProvider({
      name: record.name,
      http: httpSettingsOf(record.settings, defaultTimeoutMs),
      apiKey: secrets.open(record.name, record.secret),
    });
  },
};
