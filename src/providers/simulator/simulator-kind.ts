import type { ProviderKind } from '../provider.js';
import { numberSetting } from '../settings.js';
import { SimulatorProvider } from './simulator-provider.js';

export const DEFAULT_TRANSITION_MS = 2_000;

/** Serves both families; any non-empty ref names a simulated machine. */
export const simulatorKind: ProviderKind = {
  type: 'simulator',
  resourceTypes: ['vps', 'game'],
  refFormat: 'any name (refs starting with "fail-" always refuse, "hang-" never answer)',
  checkRef: (_type, ref) =>
    ref.length > 0 && ref.length <= 200 ? null : 'ref must be 1 to 200 characters',
  configure: (options) => ({
    settings: {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.transitionMs === undefined ? {} : { transitionMs: options.transitionMs }),
    },
  }),
  create: (record, { logger, defaultTimeoutMs }) =>
    new SimulatorProvider({
      name: record.name,
      transitionMs: numberSetting(record.settings, 'transitionMs') ?? DEFAULT_TRANSITION_MS,
      timeoutMs: numberSetting(record.settings, 'timeoutMs') ?? defaultTimeoutMs,
      logger,
    }),
};
