import { z } from "zod";

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z
    .string()
    .default("3000")
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, {
      message: "must be a port number from 0 to 65535",
    })
    .transform(Number),
  DATABASE_URL: z
    .string()
    .default("var/wsis.sqlite")
    .refine((v) => /^postgres(ql)?:\/\//.test(v) || !v.includes("://"), {
      message: "must be a SQLite file path (e.g. var/wsis.sqlite) or a postgres:// URL",
    }),
  /** SQLite: how long a write waits in all for a lock held by another process before a 503 (timers, not the loop). */
  SQLITE_WAIT_MS: z
    .string()
    .default("1500")
    .refine((v) => /^\d{1,6}$/.test(v) && Number(v) <= 60_000, {
      message: "must be a number of milliseconds from 0 to 60000",
    })
    .transform(Number),
  /** Empty means: try redis://127.0.0.1:6379, and run jobs inline when nothing answers (development only). */
  REDIS_URL: z
    .string()
    .default("")
    .refine((v) => v === "" || /^rediss?:\/\//.test(v), { message: "must be a redis:// URL" }),
  /** Key prefix for BullMQ queues and rate-limit counters, so several apps or tests can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i, { message: "may contain only letters, digits, - and _" })
    .default("wsis"),
  SMTP_URL: z
    .string()
    .default("")
    .refine((v) => v === "" || /^smtps?:\/\//.test(v), { message: "must be an smtp:// or smtps:// URL" }),
  MAIL_FROM: z.string().default("WSIS Prizes <no-reply@wsis.localhost>"),
  OUTBOX_DIR: z.string().default("var/outbox"),
  /** Public base URL for links in emails and the origin check; no trailing slash. */
  APP_URL: z
    .url({ protocol: /^https?$/, message: "must be an absolute http(s) URL such as http://127.0.0.1:3000" })
    .default("http://127.0.0.1:3000")
    .transform((v) => v.replace(/\/+$/, "")),
  SESSION_SECRET: z
    .string()
    .min(16, "must be at least 16 characters")
    .default("dev-only-insecure-session-secret"),
  TRUST_PROXY: z
    .string()
    .default("0")
    .refine((v) => /^\d+$/.test(v), { message: "must be the number of trusted proxy hops (0 = none)" })
    .transform(Number),
  /** Run BullMQ workers inside the web process (default) or only in `npm run worker` processes. */
  WORKERS_IN_PROCESS: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** The most a process takes to stop on SIGTERM/SIGINT: requests answered, jobs finished or left, exit. */
  STOP_TIMEOUT_MS: z
    .string()
    .default("10000")
    .refine((v) => /^\d{1,7}$/.test(v) && Number(v) >= 100 && Number(v) <= 600_000, {
      message: "must be a number of milliseconds from 100 to 600000",
    })
    .transform(Number),
});

export type Env = z.infer<typeof EnvSchema>;

/** Parses configuration from an environment object; throws an Error naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = result.data;
  if (env.NODE_ENV === "production" && env.SESSION_SECRET === "dev-only-insecure-session-secret") {
    throw new Error("Invalid configuration:\n  SESSION_SECRET: must be set in production");
  }
  return env;
}

let cached: Env | undefined;

/** The process configuration, parsed once. */
export function env(): Env {
  if (!cached) cached = parseEnv(process.env);
  return cached;
}

/** For tests: forget the parsed configuration so the next env() call re-reads process.env. */
export function resetEnvCache(): void {
  cached = undefined;
}
