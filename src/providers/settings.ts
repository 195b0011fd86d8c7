import type { JsonObject } from '../store/store.js';

/** Readers for provider settings stored as JSON. */
export const numberSetting = (settings: JsonObject, name: string): number | undefined => {
  const value = settings[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

export const stringSetting = (settings: JsonObject, name: string): string | undefined => {
  const value = settings[name];
  return typeof value === 'string' ? value : undefined;
};

export const booleanSetting = (settings: JsonObject, name: string): boolean =>
  settings[name] === true;

/** Settings as listings show them: a CA bundle is shown by its fingerprint only. */
export const displaySettings = (settings: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(settings).filter(([name]) => name !== 'caPem'));
