/**
 * Drops replies that arrive after a newer one: each request takes a ticket, and a reply is
 * accepted only if no reply to a later request has been accepted yet. Used by search-as-
 * you-type, where every keystroke sends a query and replies may come back out of order.
 */
export class Sequencer {
  #issued = 0;
  #accepted = 0;

  /** A ticket for a new request. */
  next(): number {
    this.#issued += 1;
    return this.#issued;
  }

  /** Whether the reply to `ticket` may be shown (and, if so, it becomes the newest shown). */
  accept(ticket: number): boolean {
    if (ticket < this.#accepted) return false;
    this.#accepted = ticket;
    return true;
  }
}
