/**
 * A job's runs share a source connection kept open between them for a few seconds; one-off work,
 * such as a verify, takes a connection of its own (withOpenedSource). Connecting and setting the
 * session up costs a run three to five round trips to the source (TCP, the startup and
 * authentication exchange, the session's settings): locally nothing, from the edge to a managed
 * database tens of milliseconds each, every tick of a job that runs every second.
 */
import type { openSource } from "../../../src/sources";
import type { RowStream, SourceConfig, SourceConnection, SourceOptions } from "../../../src/sources/types";

type OpenSource = typeof openSource;

/** How long a job's connection stays open after a run: a job on a cron of a few seconds keeps one. */
export const KEEP_IDLE_MS = 10_000;

/**
 * How long one connection serves a job's runs at most. Some of what a session is given is fixed
 * when it connects: MySQL applies a global privilege granted later (PROCESS, which the late-commit
 * watermark needs) only to sessions opened after it, and a failover may leave a session on the old
 * server; a job picks such changes up within this time.
 */
export const KEEP_MAX_AGE_MS = 60_000;

interface Kept {
  /** The settings it was opened with; a run with others (a patched source) does not take it. */
  identity: string;
  connection: SourceConnection;
  openedAt: number;
  closer: ReturnType<typeof setTimeout>;
}

/**
 * At most one idle connection per job, closed once it has been idle `idleMs` (0: none kept). A run
 * takes it when the job's source settings are the same, it is younger than KEEP_MAX_AGE_MS, and it
 * says it can serve again (SourceConnection.reuse: open, and not left in a statement or a
 * transaction); otherwise the run opens one. Only a run that succeeded gives its connection back:
 * after a failure the connection's state is unknown, so it is closed.
 */
export class KeptConnections {
  readonly #kept = new Map<string, Kept>();

  constructor(
    private readonly open: OpenSource,
    /** Read at each run's end (tuning may change it). */
    private readonly idleMs: () => number = () => KEEP_IDLE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Runs `work` on the job's kept connection, or on a new one; keeps the connection afterwards when
   * `work` succeeds. When `work` fails on a kept connection before the source has answered anything
   * on it, the connection had most likely died while idle (the server closed it as the run began):
   * `work` runs once more on a new connection, since nothing was read from the source yet.
   */
  async run<T>(
    job: string,
    config: SourceConfig,
    options: SourceOptions,
    work: (source: SourceConnection) => Promise<T>,
  ): Promise<T> {
    const identity = JSON.stringify([config, options]);
    const taken = this.#take(job, identity);
    if (taken) {
      const watched = new AnswerWatch(taken.connection);
      try {
        return await this.#runOn(job, taken, watched, work);
      } catch (error) {
        if (watched.answered) throw error;
      }
    }
    const fresh = { identity, connection: await this.open(config, options), openedAt: this.clock() };
    return this.#runOn(job, fresh, fresh.connection, work);
  }

  /** Closes every kept connection now. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#kept.keys()].map((job) => this.forget(job)));
  }

  /** Closes the job's kept connection, if any (the job is deleted or paused). */
  async forget(job: string): Promise<void> {
    const kept = this.#kept.get(job);
    if (!kept) return;
    this.#kept.delete(job);
    clearTimeout(kept.closer);
    await kept.connection.close();
  }

  /** Jobs with a connection kept open now. */
  keptFor(): string[] {
    return [...this.#kept.keys()];
  }

  /** Runs `work` on `given` (the connection or a watch over it), then keeps the connection or closes it. */
  async #runOn<T>(
    job: string,
    kept: Omit<Kept, "closer">,
    given: SourceConnection,
    work: (source: SourceConnection) => Promise<T>,
  ): Promise<T> {
    let succeeded = false;
    try {
      const result = await work(given);
      succeeded = true;
      return result;
    } finally {
      const idleMs = this.idleMs();
      if (succeeded && idleMs > 0) this.#keep(job, kept, idleMs);
      else await kept.connection.close();
    }
  }

  #take(job: string, identity: string): Omit<Kept, "closer"> | undefined {
    const kept = this.#kept.get(job);
    if (!kept) return undefined;
    this.#kept.delete(job);
    clearTimeout(kept.closer);
    const young = this.clock() - kept.openedAt < KEEP_MAX_AGE_MS;
    if (kept.identity === identity && young && kept.connection.reuse()) return kept;
    void kept.connection.close();
    return undefined;
  }

  #keep(job: string, kept: Omit<Kept, "closer">, idleMs: number): void {
    const closer = setTimeout(() => {
      if (this.#kept.get(job)?.connection !== kept.connection) return;
      this.#kept.delete(job);
      void kept.connection.close();
    }, idleMs);
    this.#kept.set(job, { ...kept, closer });
  }
}

/** A connection as it is, noting whether the source has answered anything on it yet. */
class AnswerWatch implements SourceConnection {
  answered = false;

  constructor(private readonly inner: SourceConnection) {}

  get dialect() {
    return this.inner.dialect;
  }

  query(...args: Parameters<SourceConnection["query"]>) {
    return this.#note(this.inner.query(...args));
  }

  streamRows(...args: Parameters<SourceConnection["streamRows"]>): RowStream {
    const stream = this.inner.streamRows(...args);
    return { next: () => this.#note(stream.next()), cancel: () => stream.cancel() };
  }

  describeTable(table: string) {
    return this.#note(this.inner.describeTable(table));
  }

  describeColumns(table: string) {
    return this.#note(this.inner.describeColumns(table));
  }

  hasIndexStartingWith(table: string, columns: readonly string[]) {
    return this.#note(this.inner.hasIndexStartingWith(table, columns));
  }

  reuse(): boolean {
    return this.inner.reuse();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #note<T>(answer: Promise<T>): Promise<T> {
    return answer.then((value) => {
      this.answered = true;
      return value;
    });
  }
}
