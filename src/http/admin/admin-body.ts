import { parseDuration } from '../../domain/duration.js';
import { Errors } from '../api-errors.js';

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

/**
 * Reads a JSON object (a request body, or a query string) field by field. Unknown fields are
 * refused, so that a typo is noticed instead of silently ignored; every refusal is a 400 that
 * names the field. `what` says what is read, for the messages: `field` or `query parameter`.
 */
export class FieldReader {
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #what: string;

  constructor(
    input: unknown,
    known: readonly string[],
    options: { readonly what?: string; readonly optional?: boolean } = {},
  ) {
    this.#what = options.what ?? 'field';
    const value = input === undefined && options.optional === true ? {} : input;
    if (!isRecord(value)) throw Errors.invalidRequest('Request body must be a JSON object');
    const unknown = Object.keys(value).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      const first = unknown[0] ?? '';
      throw Errors.invalidRequest(
        known.length === 0
          ? `Unknown ${this.#what} "${first}": this endpoint takes none`
          : `Unknown ${this.#what} "${first}" (known: ${quoted(known)})`,
      );
    }
    this.#fields = value;
  }

  /** Whether any of these fields is present. */
  has(...names: readonly string[]): boolean {
    return names.some((name) => this.#fields[name] !== undefined);
  }

  #refuse(name: string, expected: string): never {
    throw Errors.invalidRequest(`${this.#cap()} "${name}" must be ${expected}`);
  }

  #cap(): string {
    return this.#what.charAt(0).toUpperCase() + this.#what.slice(1);
  }

  #raw(name: string, required: boolean): unknown {
    const value = this.#fields[name];
    if (value === undefined && required)
      throw Errors.invalidRequest(`${this.#cap()} "${name}" is required`);
    return value;
  }

  string(name: string, options: { readonly required: true }): string;
  string(name: string, options?: { readonly required?: boolean }): string | undefined;
  string(name: string, options: { readonly required?: boolean } = {}): string | undefined {
    const value = this.#raw(name, options.required === true);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') this.#refuse(name, 'a non-empty string');
    return value;
  }

  strings(name: string): readonly string[] {
    const value = this.#raw(name, false);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== ''))
      this.#refuse(name, 'an array of non-empty strings');
    return value as readonly string[];
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.#raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
      this.#refuse(name, `one of ${quoted(values)}`);
    return value as T;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.#refuse(name, 'true or false');
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.#raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.#refuse(name, `a whole number from ${min} to ${max}`);
    return value;
  }

  /**
   * A text that `parse` reads (a time, `vps:<id>`, a status...); what it cannot read (`null`) is
   * refused with `rule`, the CLI's `expected ...` sentence.
   */
  parsed<T>(name: string, parse: (value: string) => T | null, rule: string): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const result = parse(value);
    if (result === null) throw Errors.invalidRequest(`${this.#cap()} "${name}": ${rule}`);
    return result;
  }

  /** A duration as the CLI takes it: `90s`, `15m`, `12h`, `30d`. In milliseconds. */
  duration(name: string): number | undefined {
    const value = this.#raw(name, false);
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null) this.#refuse(name, 'a duration like "90s", "15m", "12h" or "30d"');
    return ms;
  }
}
