/**
 * Runs async tasks one after the other, in the order they were given. The visit workflow
 * sends its writes through one queue, so that replies (each carrying the scenario's new
 * totals) arrive in the order of the writes and the last one shown is the newest.
 * A failed task rejects its own promise and does not stop the next ones.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task given so far has settled. */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }
}
