/** Time as services read it: the system's, or a test's fake. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };
