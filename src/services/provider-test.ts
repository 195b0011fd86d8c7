import { AdminError } from '../domain/admin-error.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { SecretError } from '../secrets/secret-error.js';
import type { ProviderStore } from '../store/store.js';

/** What `providers test` shows: whether the provider answered and accepted the credential. */
export interface ProviderTestResult {
  readonly name: string;
  readonly type: string;
  readonly ok: boolean;
  readonly failure: string | null;
  readonly message: string;
}

/**
 * Builds a fresh instance of the provider as stored and makes its harmless probe call: the
 * instance serving requests is not touched.
 */
export const testProvider = async (
  providers: ProviderStore,
  registry: ProviderRegistry,
  name: string,
): Promise<ProviderTestResult> => {
  const record = await providers.get(name);
  if (record === undefined)
    throw new AdminError(`unknown provider "${name}" (see "providers list")`, 'not_found');
  let result: { ok: boolean; failure?: string; message: string };
  try {
    const provider = registry.build(record);
    try {
      result = await provider.probe();
    } finally {
      await provider.close();
    }
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    result = { ok: false, failure: 'credential', message: error.message };
  }
  return {
    name,
    type: record.type,
    ok: result.ok,
    failure: result.failure ?? null,
    message: result.message,
  };
};
