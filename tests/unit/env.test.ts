import { describe, expect, it } from "vitest";
import { parseEnv } from "../../app/utils/env.server";

describe("parseEnv", () => {
  it("gives working defaults for local development", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: 3000,
      DATABASE_URL: "var/wsis.sqlite",
      REDIS_URL: "",
      REDIS_PREFIX: "wsis",
      SMTP_URL: "",
      OUTBOX_DIR: "var/outbox",
      APP_URL: "http://127.0.0.1:3000",
      TRUST_PROXY: 0,
      WORKERS_IN_PROCESS: true,
      LOG_LEVEL: "info",
      STOP_TIMEOUT_MS: 10_000,
    });
  });

  it("treats empty variables as unset", () => {
    expect(parseEnv({ PORT: "", REDIS_URL: "", DATABASE_URL: "" })).toMatchObject({
      PORT: 3000,
      REDIS_URL: "",
      DATABASE_URL: "var/wsis.sqlite",
    });
  });

  it("reads valid values", () => {
    const env = parseEnv({
      PORT: "0",
      DATABASE_URL: "postgres://u@db:5432/wsis",
      REDIS_URL: "rediss://cache:6380",
      APP_URL: "https://prizes.example.org/",
      TRUST_PROXY: "2",
      WORKERS_IN_PROCESS: "false",
      STOP_TIMEOUT_MS: "30000",
    });
    expect(env).toMatchObject({
      PORT: 0,
      DATABASE_URL: "postgres://u@db:5432/wsis",
      REDIS_URL: "rediss://cache:6380",
      APP_URL: "https://prizes.example.org",
      TRUST_PROXY: 2,
      WORKERS_IN_PROCESS: false,
      STOP_TIMEOUT_MS: 30_000,
    });
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "80.5"],
    ["PORT", " "],
    ["DATABASE_URL", "mysql://db/wsis"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["REDIS_URL", "127.0.0.1:6379"],
    ["APP_URL", "not a url"],
    ["APP_URL", "ftp://prizes.example.org"],
    ["APP_URL", "javascript:alert(1)"],
    ["SMTP_URL", "mail.example.org"],
    ["REDIS_PREFIX", "a:b"],
    ["TRUST_PROXY", "yes"],
    ["NODE_ENV", "prod"],
    ["LOG_LEVEL", "loud"],
    ["STOP_TIMEOUT_MS", "10s"],
    ["STOP_TIMEOUT_MS", "50"],
    ["STOP_TIMEOUT_MS", "3600000"],
    ["SQLITE_WAIT_MS", "2s"],
    ["SQLITE_WAIT_MS", "600000"],
  ])("refuses %s=%j with an error naming the variable", (name, value) => {
    expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`Invalid configuration:\\n\\s+${name}: `));
  });

  it("waits 2 s for a SQLite lock held by another process unless told otherwise", () => {
    expect(parseEnv({}).SQLITE_WAIT_MS).toBe(1500);
    expect(parseEnv({ SQLITE_WAIT_MS: "500" }).SQLITE_WAIT_MS).toBe(500);
  });

  it("names every bad variable at once", () => {
    expect(() => parseEnv({ PORT: "abc", APP_URL: "nope" })).toThrow(/PORT: [\s\S]*APP_URL: /);
  });

  it("refuses production without a SESSION_SECRET", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/SESSION_SECRET: must be set in production/);
    expect(() => parseEnv({ NODE_ENV: "production", SESSION_SECRET: "short" })).toThrow(/SESSION_SECRET: /);
    expect(
      parseEnv({ NODE_ENV: "production", SESSION_SECRET: "a-long-enough-production-secret" }).NODE_ENV,
    ).toBe("production");
  });
});
