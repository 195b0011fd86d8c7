/**
 * Time as the code that keeps deadlines sees it: injected, so that tests can move it on instead
 * of waiting for it.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not a date). */
  now(): number;
  /** Calls `callback` once `ms` have passed; the returned function cancels it. */
  after(ms: number, callback: () => void): () => void;
}

/** The process's own clock. Its timers never keep the process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  after: (ms, callback) => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
