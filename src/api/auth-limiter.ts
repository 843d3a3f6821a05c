/**
 * Rate limiting of *failed* authentication, per client address: a sliding window of the last failures.
 *
 * After `max` failed authentications (401) from one client within `windowMs`, every further request from it
 * to an authenticated route gets 429 with Retry-After until the oldest of those failures leaves the window —
 * whatever token it carries: checking tokens for a blocked client would hand a guesser the very oracle the
 * limit takes away (200 = right, 429 = wrong). Successful requests and 403s are never counted, requests
 * refused with 429 are not counted either (a client that waits as told gets its next attempt), and public
 * routes (health, API docs) are never limited.
 *
 * Why not @fastify/rate-limit: it counts every request a route receives (its store has one operation,
 * `incr`), so it can neither count only failures nor ask "is this client blocked?" without counting the
 * question. Both are what this limiter needs, and the whole of it is the class below.
 *
 * Memory is bounded: at most `max` timestamps per client and at most `maxClients` clients (expired entries
 * are swept first, then the least recently failing clients are forgotten).
 *
 * A client is its socket address (Fastify's `request.ip`); IPv4-mapped IPv6 addresses count as the IPv4
 * address, and IPv6 addresses as their /64 network (one host usually owns a whole /64, so counting single
 * addresses would let it rotate through 2^64 of them).
 */
import ipaddr from 'ipaddr.js';

export interface AuthLimitOptions {
  /** Failed authentications a client may have within the window; the next request is refused. Default 20. */
  max?: number;
  /** Length of the sliding window in milliseconds. Default 60 000. */
  windowMs?: number;
  /** Clients remembered at once. Default 10 000. */
  maxClients?: number;
  /** The clock (milliseconds); tests pass their own. */
  now?: () => number;
}

export const DEFAULT_AUTH_LIMIT = { max: 20, windowMs: 60_000, maxClients: 10_000 } as const;

export class AuthFailureLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  /** Per client, the times of its recent failures, oldest first (at most `max`). Map order = least recent first. */
  private readonly failures = new Map<string, number[]>();

  constructor(opts: AuthLimitOptions = {}) {
    this.max = opts.max ?? DEFAULT_AUTH_LIMIT.max;
    this.windowMs = opts.windowMs ?? DEFAULT_AUTH_LIMIT.windowMs;
    this.maxClients = opts.maxClients ?? DEFAULT_AUTH_LIMIT.maxClients;
    this.now = opts.now ?? Date.now;
    if (!Number.isInteger(this.max) || this.max < 1) throw new RangeError(`auth limit max must be an integer ≥ 1 (got ${this.max})`);
    if (!(this.windowMs > 0)) throw new RangeError(`auth limit windowMs must be > 0 (got ${this.windowMs})`);
    if (!Number.isInteger(this.maxClients) || this.maxClients < 1) throw new RangeError(`auth limit maxClients must be an integer ≥ 1 (got ${this.maxClients})`);
  }

  /** Milliseconds until `client` may try again; 0 when it is not blocked. Counts nothing. */
  retryAfterMs(client: string): number {
    const key = clientKey(client);
    const list = this.live(key, this.now());
    if (!list || list.length < this.max) return 0;
    // Blocked until the oldest of the last `max` failures leaves the window.
    return Math.max(1, list[list.length - this.max]! + this.windowMs - this.now());
  }

  /** Records one failed authentication of `client`. */
  recordFailure(client: string): void {
    const key = clientKey(client);
    const now = this.now();
    const list = this.live(key, now) ?? [];
    list.push(now);
    if (list.length > this.max) list.splice(0, list.length - this.max);
    this.failures.delete(key); // re-insert: the map stays ordered by most recent failure
    this.failures.set(key, list);
    if (this.failures.size > this.maxClients) this.evict(now);
  }

  /** Clients currently remembered (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }

  /** The client's failures still inside the window (expired ones dropped), or undefined. */
  private live(key: string, now: number): number[] | undefined {
    const list = this.failures.get(key);
    if (!list) return undefined;
    const cutoff = now - this.windowMs;
    let expired = 0;
    while (expired < list.length && list[expired]! <= cutoff) expired++;
    if (expired === list.length) {
      this.failures.delete(key);
      return undefined;
    }
    if (expired > 0) list.splice(0, expired);
    return list;
  }

  private evict(now: number): void {
    for (const key of [...this.failures.keys()]) this.live(key, now);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxClients) break;
      this.failures.delete(key);
    }
  }
}

/** The address a client is counted under (see the file comment). */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip); // an IPv4-mapped IPv6 address becomes the IPv4 address
  if (addr.kind() === 'ipv4') return addr.toString();
  return `${(addr as ipaddr.IPv6).parts.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}
