import type { Clock } from '../../src/lib/clock.js';

/** A clock that moves only when the test says so. */
export class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; callback: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.#now;
  }

  after(ms: number, callback: () => void): () => void {
    const timer = { at: this.#now + ms, callback, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /**
   * Moves time on by `ms` at once, running nothing: the time a synchronous call spent blocked
   * (a lock wait inside a driver). Timers that fell due run on the next `advance`.
   */
  skip(ms: number): void {
    this.#now += ms;
  }

  /** Timers not yet run nor cancelled. */
  get pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /**
   * Moves time on by `ms`, running each timer that falls due in order, and lets the promises it
   * settles run (a few turns of the event loop) before the next one.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#now = due.at;
      due.cancelled = true;
      due.callback();
    }
    this.#now = until;
    await settle();
  }
}

/** A few turns of the event loop: what promises settled by a timer need to run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
