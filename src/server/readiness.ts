/** How long /ready waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 2_000;

/**
 * What /ready answers: the database is reachable and the instance is not shutting down.
 *
 * Readiness asks the database, but never waits on it for long: a hung database (not just a
 * refused connection) must read as "not ready" within seconds. One check at a time, its answer
 * shared by the probes that arrive meanwhile, so a prober cannot pile up hung queries that would
 * take the pool's connections from real requests.
 */
export class ReadinessProbe {
  private accepting = true;
  private inFlight: Promise<boolean> | null = null;

  constructor(private readonly databaseConnected: () => Promise<boolean>) {}

  /** From now on the instance reads "not ready": its shutdown has begun. */
  drain(): void {
    this.accepting = false;
  }

  /** Has the shutdown begun? (Every answer then says `Connection: close`, and upgrades are refused.) */
  get draining(): boolean {
    return !this.accepting;
  }

  async ready(): Promise<boolean> {
    return this.accepting && (await this.databaseReachable());
  }

  private databaseReachable(): Promise<boolean> {
    this.inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
      });
      const check = this.databaseConnected().catch(() => false);
      try {
        return await Promise.race([check, timeout]);
      } finally {
        clearTimeout(timer);
        // A hung check keeps its place until it settles (the pool's own timeouts end it).
        void check.finally(() => {
          this.inFlight = null;
        });
      }
    })();
    return this.inFlight;
  }
}
