/**
 * A value now, or a promise of it later. The request path returns cached answers synchronously
 * and only pays for a promise (and a turn of the microtask queue) when it really waits.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Applies `next` now when `value` is ready, or once it resolves. */
export const andThen = <T, U>(
  value: MaybePromise<T>,
  next: (ready: T) => MaybePromise<U>,
): MaybePromise<U> => (value instanceof Promise ? value.then(next) : next(value));
