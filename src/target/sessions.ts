import pg from 'pg';
import { targetConnectionsInUse, targetConnectionWait } from '../metrics/metrics.js';
import type { TargetConnection } from '../store/connections.js';
import { clientConfig, type TargetLimits } from './settings.js';

/**
 * The cluster a connection record reaches: connection records with the same key share one cap, whatever host
 * name or database they use. A record not identified yet (identification is its first connection) counts
 * by host and port.
 */
export function clusterKeyOf(c: TargetConnection): string {
  return c.clusterId ?? `${c.host}:${c.port}`;
}

/**
 * A counting semaphore whose waiters leave the queue when their signal aborts (hand-written: p-limit cannot
 * withdraw one waiting task, and a timed-out activity must not run its statement late).
 */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  get unused(): boolean {
    return this.used === 0 && this.waiting.length === 0;
  }

  /** An acquire now would wait. */
  get full(): boolean {
    return this.used >= this.capacity;
  }

  async acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.used < this.capacity) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the slot to the next waiter, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

/** A caller that had to wait for a slot of `cluster` (clusterKeyOf): how long, and whether it got the slot or gave up. */
export interface SlotWait {
  cluster: string;
  waitedMs: number;
  acquired: boolean;
}

/** Waits for a slot since this process started (logged; also exported as pg_rotator_target_connection_wait_seconds). */
export interface SlotWaitTotals {
  waits: number;
  waitedMs: number;
}

export interface TargetLogin {
  user: string;
  password: string;
}

/**
 * Every connection this process opens to a target cluster goes through here, at most `poolMax` at a time per
 * cluster (clusterKeyOf), admin work and login checks together. A connection lives for one piece of work
 * and is closed before its slot is handed on: an idle pooled connection would keep a slot that another
 * connection record to the same cluster needs, and opening one (~15 ms with SCRAM on a local server) is small
 * next to a rotation step.
 * Waiting for a slot is not a failure; the caller's signal (its activity's timeout) bounds the wait. Every wait
 * is counted in `waitTotals` and reported to `onWait` (the worker logs it).
 */
export class TargetSessions {
  private readonly clusters = new Map<string, Slots>();
  readonly waitTotals: SlotWaitTotals = { waits: 0, waitedMs: 0 };

  constructor(
    readonly limits: TargetLimits,
    private readonly onWait: (wait: SlotWait) => void = () => {},
  ) {}

  async run<T>(c: TargetConnection, login: TargetLogin, work: (client: pg.Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const key = clusterKeyOf(c);
    let slots = this.clusters.get(key);
    if (!slots) {
      slots = new Slots(this.limits.poolMax);
      this.clusters.set(key, slots);
    }
    const waitingSince = slots.full ? performance.now() : null;
    try {
      await slots.acquire(signal);
    } catch (err) {
      if (waitingSince !== null) this.waited(key, waitingSince, false);
      if (slots.unused) this.clusters.delete(key);
      throw err;
    }
    if (waitingSince !== null) this.waited(key, waitingSince, true);
    targetConnectionsInUse.inc({ cluster: key });
    try {
      const client = new pg.Client(clientConfig(c, login.user, login.password, this.limits));
      client.on('error', () => {}); // the server going away mid-work surfaces as the query's error
      try {
        await client.connect();
        return await work(client);
      } finally {
        await client.end().catch(() => {});
      }
    } finally {
      targetConnectionsInUse.dec({ cluster: key });
      slots.release();
      if (slots.unused) this.clusters.delete(key);
    }
  }

  private waited(cluster: string, since: number, acquired: boolean): void {
    const waitedMs = Math.round(performance.now() - since);
    this.waitTotals.waits += 1;
    this.waitTotals.waitedMs += waitedMs;
    targetConnectionWait.observe({ cluster, outcome: acquired ? 'acquired' : 'gave_up' }, waitedMs / 1000);
    this.onWait({ cluster, waitedMs, acquired });
  }
}
