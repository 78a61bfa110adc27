import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import { log } from "./log.server";

/**
 * Runs `work` for at most `ms`: true when it finished in time, false when it failed or was still running at
 * the bound (it is then left behind: the process is about to exit). Never rejects.
 */
export async function within(label: string, ms: number, work: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), Math.max(0, ms));
  });
  const done = Promise.resolve()
    .then(work)
    .then(
      () => "done" as const,
      (e: unknown) => {
        log.warn(`${label}: closing failed`, { error: e instanceof Error ? e.message : String(e) });
        return "failed" as const;
      },
    );
  try {
    const outcome = await Promise.race([done, bound]);
    if (outcome === "late") log.warn(`${label}: still closing after ${Math.round(ms)} ms; left behind`);
    return outcome === "done";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a keep-alive connection that is idle when the stop begins stays open for a request already on its
 * way (answered with `Connection: close`) before it is closed. Closing it at once would reset such a request.
 */
export const IDLE_GRACE_MS = 1_000;

export interface DrainableServer {
  server: Server;
  /**
   * Stops taking connections (new ones are refused) and lets the open ones finish: every response from now on
   * carries `Connection: close`, so each keep-alive connection closes right after its answer; connections with
   * no request in progress are closed once idle for IDLE_GRACE_MS. True when every connection closed within
   * `ms`; false when some were still busy at the bound (they are then destroyed).
   */
  drain(ms: number): Promise<boolean>;
}

/** An HTTP server around `listener` that can be stopped without resetting a request (see drain()). */
export function createDrainableServer(listener: RequestListener): DrainableServer {
  let stopping = false;
  // Per open connection: its responses in progress and since when it has had none.
  const connections = new Map<Socket, { busy: number; idleSince: number }>();
  const inProgress = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const state = connections.get(req.socket);
    if (state) state.busy++;
    inProgress.add(res);
    res.once("close", () => {
      inProgress.delete(res);
      if (state) {
        state.busy--;
        state.idleSince = Date.now();
      }
    });
    // Node closes the connection right after a response that says so (the vote endpoint's writeHead()
    // keeps headers set before it).
    if (stopping) res.setHeader("Connection", "close");
    listener(req, res);
  });
  server.on("connection", (socket: Socket) => {
    connections.set(socket, { busy: 0, idleSince: Date.now() });
    socket.once("close", () => connections.delete(socket));
  });

  const drain = (ms: number) => {
    stopping = true;
    for (const res of inProgress) if (!res.headersSent) res.setHeader("Connection", "close");
    const grace = Math.min(IDLE_GRACE_MS, ms / 4);
    const closed = new Promise<void>((resolve) => {
      // net's close(): stop listening, call back once every connection has closed. http's own close() would
      // also destroy every idle keep-alive connection at once, resetting requests already on their way.
      NetServer.prototype.close.call(server, () => resolve());
    });
    const closeIdle = () => {
      const now = Date.now();
      for (const [socket, state] of connections) {
        if (state.busy === 0 && now - state.idleSince >= grace) socket.destroy();
      }
    };
    closeIdle();
    const reaper = setInterval(closeIdle, 50);
    return within("HTTP connections", ms, () => closed).then((ok) => {
      clearInterval(reaper);
      if (!ok) server.closeAllConnections();
      return ok;
    });
  };
  return { server, drain };
}

/** What a process does on SIGTERM/SIGINT, within its stop timeout (see stopOnSignals()). */
export interface StopPlan {
  /** Run together first, each given the time it may take; each resolves true when it finished cleanly. */
  drain: Array<(ms: number) => Promise<boolean>>;
  /** Then one after the other, each bounded by the time left. */
  close: Array<[label: string, close: () => Promise<unknown>]>;
}

/**
 * On the first SIGTERM or SIGINT: runs `plan()` within `timeoutMs` and exits 0, or 1 when anything had to be
 * cut short. Further signals are ignored (a signal sent to npm and to its process group arrives twice), and
 * the process exits at the bound whatever still hangs.
 */
export function stopOnSignals(timeoutMs: number, plan: (signal: string) => StopPlan): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return log.info(`${signal}: already stopping`);
    stopping = true;
    const started = Date.now();
    const left = () => Math.max(0, timeoutMs - (Date.now() - started));
    log.info(`${signal}: shutting down`, { stopTimeoutMs: timeoutMs });
    const force = setTimeout(() => {
      log.error(`shutdown took longer than ${timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, timeoutMs);
    force.unref();
    const steps = plan(signal);
    // A slice of the budget is kept for closing queues, Redis and the database after the draining.
    const reserve = Math.min(1_000, timeoutMs / 5);
    void (async () => {
      const drained = await Promise.all(
        steps.drain.map((d) => d(left() - reserve).catch(() => false as const)),
      );
      let clean = drained.every(Boolean);
      for (const [label, close] of steps.close) clean = (await within(label, left(), close)) && clean;
      log.info(clean ? "stopped" : "stopped, some work cut short", { ms: Date.now() - started });
      process.exit(clean ? 0 : 1);
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
