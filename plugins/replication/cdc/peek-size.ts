/**
 * How many messages a run's peek asks for. PostgreSQL decodes a peek whole
 * before its first row, and what a run peeks but has no time left to apply is
 * decoded again by the next run; a peek sized to what a run gets through spends
 * neither. Pure: the reader keeps the size between runs.
 */
export interface PeekOutcome {
  /** Messages the run's peek asked for. */
  asked: number;
  /** Messages the run applied (whole chunks) before it ended. */
  processed: number;
  /** The run stopped at its time or change bound with more of the peek left. */
  stopped: boolean;
  /** The peek gave all it was asked for: more was waiting behind it. */
  full: boolean;
}

export interface PeekLimits {
  min: number;
  max: number;
}

/** A peek size within the limits. */
export function clampPeekMessages(n: number, limits: PeekLimits): number {
  return Math.min(limits.max, Math.max(limits.min, Math.floor(n)));
}

/** The next run's peek: what this one got through when it was stopped, twice as much when the whole peek fit and more waits. */
export function nextPeekMessages(outcome: PeekOutcome, limits: PeekLimits): number {
  if (outcome.stopped) return clampPeekMessages(outcome.processed, limits);
  if (outcome.full) return clampPeekMessages(outcome.asked * 2, limits);
  return clampPeekMessages(outcome.asked, limits);
}
