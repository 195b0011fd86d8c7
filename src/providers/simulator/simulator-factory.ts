import { AdminError } from '../../domain/admin-error.js';
import type { ProviderFactory, ProviderOptions } from '../provider.js';
import { numberSetting } from '../settings.js';
import { SimulatorProvider } from './simulator-provider.js';

export const DEFAULT_TRANSITION_MS = 2_000;

/** The simulator runs in-process: options of remote back-ends are a mistake, not a no-op. */
const refuseRemoteOptions = (options: ProviderOptions): void => {
  const given = [
    options.url === undefined ? null : '--url',
    options.token === undefined ? null : '--token',
    options.caFile === undefined ? null : '--ca-file',
    options.caPem === undefined ? null : 'a CA certificate',
    options.insecureTls === true ? '--insecure-tls' : null,
  ].filter((name) => name !== null);
  if (given.length > 0)
    throw new AdminError(
      `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} not used by simulator providers`,
    );
};

/** Serves both families; any non-empty ref names a simulated machine. */
export const simulatorFactory: ProviderFactory = {
  type: 'simulator',
  resourceTypes: ['vps', 'game'],
  refFormat: 'any name (refs starting with "fail-" always refuse, "hang-" never answer)',
  checkRef: (_type, ref) =>
    ref.length > 0 && ref.length <= 200 ? null : 'ref must be 1 to 200 characters',
  configure: (options) => {
    refuseRemoteOptions(options);
    return {
      settings: {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.transitionMs === undefined ? {} : { transitionMs: options.transitionMs }),
      },
    };
  },
  credentialOf: () => {
    throw new AdminError('simulator providers have no credential');
  },
  create: (record, { logger, defaultTimeoutMs }) =>
    new SimulatorProvider({
      name: record.name,
      transitionMs: numberSetting(record.settings, 'transitionMs') ?? DEFAULT_TRANSITION_MS,
      timeoutMs: numberSetting(record.settings, 'timeoutMs') ?? defaultTimeoutMs,
      logger,
    }),
};
