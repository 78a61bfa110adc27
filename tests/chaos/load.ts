/**
 * The chaos runs' load generator: voters posting to the real POST /vote over keep-alive connections (one
 * http.Agent with one socket per connection, as a reverse proxy or a browser would keep them), plus a /healthz
 * probe. Every request is recorded: latency from sending to the first byte of the answer (or to the error),
 * status, Retry-After, socket errors; every acknowledged vote is kept as (voter, category) so that lost votes
 * are counted from the database at the end.
 *
 * Connections are sticky, like a load balancer's: a connection keeps its app until that app closes it
 * (an answer with `Connection: close`, an error); it then reconnects to the current target. A connect refused
 * by an app that stopped listening is retried at once on the current target (nothing reached the app).
 */
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";

export interface Voter {
  userId: number;
  /** Session cookie value. */
  token: string;
  /** CSRF token that goes with this voter's cookies. */
  csrf: string;
  /** X-Forwarded-For address (the app trusts one proxy hop), so the per-IP limit sees one voter per address. */
  ip: string;
}

export interface Sample {
  kind: "vote" | "health";
  phase: string;
  target: string;
  /** When it was sent, in ms since the load started. */
  sentAt: number;
  latencyMs: number;
  status?: number;
  retryAfter?: boolean;
  /** Socket error code (ECONNRESET, EPIPE, …), "unanswered" when the run ended first. */
  error?: string;
}

export interface LoadOptions {
  voters: Voter[];
  /** Category ids in order, and for each category its nominees' project ids. */
  categories: number[];
  nominees: number[][];
  target: string;
  /** Votes per second in total (paced; a connection sends its next vote at once when it is behind). */
  rate: number;
  connections: number;
  /** Milliseconds between two /healthz probes (0: none). */
  healthEveryMs?: number;
}

/** Socket errors that mean "the server closed or reset a connection under a request". */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

export function isReset(sample: Sample): boolean {
  return sample.error !== undefined && RESET_CODES.has(sample.error);
}

interface Answer {
  status?: number;
  headers?: IncomingHttpHeaders;
  body?: string;
  error?: string;
  latencyMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class VoteLoad {
  /** Where new connections go (a rolling restart moves it to the new app). */
  target: string;
  /** Label stored with each request (e.g. "before", "fault", "after"). */
  phase = "start";
  readonly samples: Sample[] = [];
  /** Acknowledged votes: `${userId}:${categoryId}`. */
  readonly acked = new Set<string>();
  /** Acknowledged votes per phase. */
  readonly ackedByPhase = new Map<string, number>();
  /** Connects refused by an app that had stopped listening (retried on the current target). */
  refused = 0;
  /** Distinct /healthz answers per phase: "200 {…}" → count. */
  readonly health = new Map<string, Map<string, number>>();
  /** Targets deliberately SIGKILLed: requests in flight to them are not stalls (see markKilled). */
  private readonly killed = new Set<string>();

  private next = 0;
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly pending = new Map<number, { sentAt: number; target: string; kind: Sample["kind"] }>();
  private readonly agents = new Set<Agent>();
  private seq = 0;
  private startedAt = 0;

  constructor(private readonly o: LoadOptions) {
    this.target = o.target;
  }

  get total(): number {
    return this.o.voters.length * this.o.categories.length;
  }

  start(): void {
    this.startedAt = performance.now();
    this.running = true;
    for (let c = 0; c < this.o.connections; c++) this.loops.push(this.connection(c));
    if (this.o.healthEveryMs) this.loops.push(this.healthLoop(this.o.healthEveryMs));
  }

  /** Stops sending; waits up to `drainMs` for the answers in flight, then records the rest as unanswered. */
  async stop(drainMs = 30_000): Promise<void> {
    this.running = false;
    const end = performance.now() + drainMs;
    while (this.pending.size > 0 && performance.now() < end) await sleep(50);
    const now = performance.now();
    for (const p of this.pending.values()) {
      this.samples.push({
        kind: p.kind,
        phase: this.phase,
        target: p.target,
        sentAt: p.sentAt - this.startedAt,
        latencyMs: now - p.sentAt,
        error: "unanswered",
      });
    }
    this.pending.clear();
    for (const agent of this.agents) agent.destroy();
    await Promise.allSettled(this.loops);
  }

  /** Requests in flight to `target` from now on are not counted as stalls (a deliberate SIGKILL). */
  markKilled(target: string): void {
    this.killed.add(target);
  }

  private newAgent(): Agent {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    this.agents.add(agent);
    return agent;
  }

  private dropAgent(agent: Agent): void {
    agent.destroy();
    this.agents.delete(agent);
  }

  /** One HTTP exchange on `agent`; never throws. */
  private send(
    agent: Agent,
    target: string,
    kind: Sample["kind"],
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    const url = new URL(target);
    const id = this.seq++;
    return new Promise<Answer>((resolve) => {
      let sentAt = performance.now();
      let settled = false;
      let first: { status: number; headers: IncomingHttpHeaders; latencyMs: number } | undefined;
      const done = (answer: Answer) => {
        if (settled) return;
        settled = true;
        this.pending.delete(id);
        resolve(answer);
      };
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers:
            body === undefined ? headers : { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
        },
        (res) => {
          first = {
            status: res.statusCode ?? 0,
            headers: res.headers,
            latencyMs: performance.now() - sentAt,
          };
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => done({ ...first!, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", (e: NodeJS.ErrnoException) => done({ ...first!, error: e.code ?? e.message }));
          res.on("aborted", () => done({ ...first!, error: "ECONNRESET" }));
        },
      );
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (first) return done({ ...first, error: e.code ?? e.message });
        done({ error: e.code ?? e.message, latencyMs: performance.now() - sentAt });
      });
      sentAt = performance.now();
      this.pending.set(id, { sentAt, target, kind });
      req.end(body);
    });
  }

  private record(kind: Sample["kind"], phase: string, target: string, a: Answer): void {
    if (a.error === "ECONNREFUSED") return; // never reached an app: counted in `refused`, retried
    const killed = this.killed.has(target) && a.status === undefined;
    this.samples.push({
      kind,
      phase,
      target,
      // Close enough: the answer's end is a moment after its first byte.
      sentAt: performance.now() - a.latencyMs - this.startedAt,
      latencyMs: killed ? 0 : a.latencyMs,
      ...(a.status !== undefined ? { status: a.status } : {}),
      ...(a.headers?.["retry-after"] !== undefined ? { retryAfter: true } : {}),
      ...(a.error !== undefined ? { error: a.error } : {}),
    });
  }

  private async connection(index: number): Promise<void> {
    const interval = (this.o.connections * 1000) / this.o.rate;
    let agent = this.newAgent();
    let target = this.target;
    // Spread the connections' first sends over one interval.
    let nextAt = performance.now() + (interval * index) / this.o.connections;
    const cats = this.o.categories.length;
    while (this.running) {
      const wait = nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      if (!this.running) break;
      nextAt = Math.max(nextAt + interval, performance.now());
      if (this.next >= this.total) break; // every voter has voted everywhere
      const n = this.next++;
      const voter = this.o.voters[Math.floor(n / cats)];
      const c = n % cats;
      const list = this.o.nominees[c];
      const project = list[(voter.userId * 7 + c) % list.length];
      const body = `_csrf=${encodeURIComponent(voter.csrf)}&project=${project}`;
      const headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        Cookie: `wsis_session=${voter.token}; wsis_csrf=${voter.csrf}`,
        "X-Forwarded-For": voter.ip,
      };
      for (let attempt = 0; ; attempt++) {
        const phase = this.phase;
        const a = await this.send(agent, target, "vote", "POST", "/vote", headers, body);
        this.record("vote", phase, target, a);
        if (a.status === 200 && a.body?.includes('"ok":true')) {
          this.acked.add(`${voter.userId}:${this.o.categories[c]}`);
          this.ackedByPhase.set(phase, (this.ackedByPhase.get(phase) ?? 0) + 1);
        }
        const closed = a.error !== undefined || a.headers?.connection === "close";
        if (closed && target !== this.target) {
          // The app closed this connection: reconnect to the app now in rotation.
          this.dropAgent(agent);
          agent = this.newAgent();
          target = this.target;
        }
        if (a.error === "ECONNREFUSED") {
          this.refused++;
          if (attempt < 20 && this.running) {
            if (target === this.target) await sleep(100);
            target = this.target;
            continue;
          }
        }
        break;
      }
    }
  }

  private async healthLoop(everyMs: number): Promise<void> {
    let agent = this.newAgent();
    let target = this.target;
    while (this.running) {
      const phase = this.phase;
      const a = await this.send(agent, target, "health", "GET", "/healthz", {});
      this.record("health", phase, target, a);
      if (a.error === "ECONNREFUSED") this.refused++;
      const key =
        `${a.status ?? a.error} ${a.status !== undefined ? (a.body ?? "").slice(0, 120) : ""}`.trim();
      const byPhase = this.health.get(phase) ?? new Map<string, number>();
      byPhase.set(key, (byPhase.get(key) ?? 0) + 1);
      this.health.set(phase, byPhase);
      if ((a.error !== undefined || a.headers?.connection === "close") && target !== this.target) {
        this.dropAgent(agent);
        agent = this.newAgent();
        target = this.target;
      }
      await sleep(everyMs);
    }
  }
}

/** The figures of a set of samples, as the summary line counts them. */
export interface Figures {
  requests: number;
  maxStallMs: number;
  p99Ms: number;
  resets: number;
  /** 5xx answers other than a deliberate 503 with Retry-After (or a /healthz 503, which reports). */
  errors500: number;
  shed503: number;
  /** Other socket errors and requests never answered. */
  otherErrors: number;
  statuses: string;
}

export function figures(samples: Sample[]): Figures {
  const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const statuses = new Map<string, number>();
  let resets = 0;
  let errors500 = 0;
  let shed503 = 0;
  let otherErrors = 0;
  for (const s of samples) {
    if (s.status !== undefined) statuses.set(String(s.status), (statuses.get(String(s.status)) ?? 0) + 1);
    if (s.error !== undefined) {
      if (isReset(s)) resets++;
      else otherErrors++;
      statuses.set(s.error, (statuses.get(s.error) ?? 0) + 1);
      continue;
    }
    // A /healthz 503 is the probe's report (database or Redis down), not a request that failed.
    if (s.kind === "health" && s.status === 503) continue;
    if (s.status === 503 && s.retryAfter) shed503++;
    else if (s.status !== undefined && s.status >= 500) errors500++;
  }
  return {
    requests: samples.length,
    maxStallMs: Math.round(latencies.at(-1) ?? 0),
    p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
    resets,
    errors500,
    shed503,
    otherErrors,
    statuses: [...statuses]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}:${v}`)
      .join(","),
  };
}
