/**
 * The one place the client reads its environment: `HEO_API_URL` and `HEO_API_KEY`, when it runs
 * where there is one (Node.js; a browser has none).
 */
export interface ClientEnvironment {
  readonly apiUrl: string | undefined;
  readonly apiKey: string | undefined;
}

interface MaybeProcess {
  readonly process?: { readonly env?: Readonly<Record<string, string | undefined>> };
}

export const readEnvironment = (): ClientEnvironment => {
  const env = (globalThis as MaybeProcess).process?.env ?? {};
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  return { apiUrl: value('HEO_API_URL'), apiKey: value('HEO_API_KEY') };
};
