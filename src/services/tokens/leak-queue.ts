/**
 * Leak reports that were answered (202) and are still to be worked through. One report at a time,
 * in arrival order, each starting on a later turn of the event loop than its answer: the answer
 * is sent before any candidate is looked at, so how long it takes does not depend on which
 * candidates were tokens. Bounded by the candidates waiting; in memory, so a report still waiting
 * when the process dies is lost (a clean shutdown waits for it: `idle()`).
 */
export class LeakReportQueue {
  private tail: Promise<void> = Promise.resolve();
  private waitingCandidates = 0;

  constructor(readonly maxWaitingCandidates = 100_000) {}

  /** Whether a report of `candidates` more fits now. */
  hasRoomFor(candidates: number): boolean {
    return this.waitingCandidates + candidates <= this.maxWaitingCandidates;
  }

  /** Queues `work` behind every report before it; its failure goes to `onError`, never to the next report. */
  add(candidates: number, work: () => Promise<unknown>, onError: (error: unknown) => void): void {
    this.waitingCandidates += candidates;
    this.tail = this.tail
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(work)
      .then(
        () => undefined,
        (error: unknown) => {
          try {
            onError(error);
          } catch {
            // A failing logger must not stop the reports behind this one.
          }
        },
      )
      .finally(() => {
        this.waitingCandidates -= candidates;
      });
  }

  /** Resolves once every report queued so far has been worked through: shutdown, and tests. */
  idle(): Promise<void> {
    return this.tail;
  }
}
