import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { editionStateAt } from "../../app/domain/phases";
import { countWords } from "../../app/domain/text";
import { verifyPassword } from "../../app/utils/password.server";
import { createDb, type Db } from "../../db/client";
import { DEMO_ACCOUNTS, demoYear } from "../../db/demo";

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the operator CLI as `npm run wsis -- …` does, against `databaseUrl`. */
function cli(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "db/cli.ts", ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: "test", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const STRONG = "correct-horse-battery-staple";

// Each command is a fresh Node process (about a second, more on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

describe("operator CLI on SQLite", () => {
  let dir: string;
  let url: string;
  let db: Db | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wsis-cli-"));
    url = join(dir, "cli.sqlite");
  });
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Opened after the first command that creates the file. */
  const database = () => (db ??= createDb(url));

  it("prints the usage and exits 0 without a command, and leaves no database behind", async () => {
    for (const args of [[], ["help"], ["--help"]]) {
      const r = await cli(url, ...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: npm run wsis -- <command>/);
      expect(r.stdout).toMatch(/user:create/);
    }
    expect(existsSync(url)).toBe(false);
  });

  it("refuses an unknown command with a message and the usage", async () => {
    const r = await cli(url, "frobnicate");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/Usage: npm run wsis/);
    expect(existsSync(url)).toBe(false);
  });

  it("user:create refuses bad arguments with a clear message and the usage, and writes nothing", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--email", "ada@example.org", "--password", STRONG], /--role is required/],
      [
        ["--email", "not-an-email", "--password", STRONG, "--role", "expert"],
        /--email must be an email address/,
      ],
      [["--password", STRONG, "--role", "expert"], /--email must be an email address/],
      [["--email", "ada@example.org", "--role", "expert"], /--password is required/],
      [
        ["--email", "ada@example.org", "--password", "short", "--role", "expert"],
        /--password: Use at least 10 characters/,
      ],
      [
        ["--email", "ada@example.org", "--password", "password123", "--role", "expert"],
        /--password: This password is too common/,
      ],
      [
        ["--email", "ada@example.org", "--password", STRONG, "--role", "admin"],
        /--role must be one of voter, submitter, expert, organiser/,
      ],
      [
        ["--email", "ada@example.org", "--password", STRONG, "--role", "expert", "--colour", "red"],
        /Unknown option '--colour'/,
      ],
      [
        ["--email", "ada@example.org", "--password", STRONG, "--role", "expert", "stray"],
        /Unexpected argument 'stray'/,
      ],
      [["--email"], /--email/],
    ];
    // Independent and read-only, so they run side by side.
    const results = await Promise.all(cases.map(([args]) => cli(url, "user:create", ...args)));
    results.forEach((r, i) => {
      const label = cases[i][0].join(" ");
      expect(r.code, label).toBe(2);
      expect(r.stderr, label).toMatch(cases[i][1]);
      expect(r.stderr, label).toMatch(/Usage: npm run wsis/);
    });
    expect(existsSync(url)).toBe(false);
  }, 180_000);

  it("user:create makes a verified account with its roles, once", async () => {
    const r = await cli(
      url,
      "user:create",
      "--email",
      "Ada.Lovelace@Example.org",
      "--password",
      STRONG,
      "--role",
      "expert",
      "--role",
      "organiser",
      "--name",
      "Ada Lovelace",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Created user #\d+ Ada.Lovelace@Example.org \(expert, organiser\), email verified/,
    );
    const user = await database()
      .selectFrom("users")
      .selectAll()
      .where("email_canonical", "=", "ada.lovelace@example.org")
      .executeTakeFirstOrThrow();
    expect(user.name).toBe("Ada Lovelace");
    expect(user.email_verified_at).not.toBeNull();
    expect(await verifyPassword(STRONG, user.password_hash)).toBe(true);
    const roles = await database()
      .selectFrom("user_roles")
      .select("role")
      .where("user_id", "=", user.id)
      .execute();
    expect(roles.map((x) => x.role).sort()).toEqual(["expert", "organiser"]);

    const again = await cli(
      url,
      "user:create",
      "--email",
      "ada.lovelace@example.org",
      "--password",
      STRONG,
      "--role",
      "voter",
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    expect(await database().selectFrom("users").select("id").execute()).toHaveLength(1);
  });

  it("seed:demo creates the demo edition, accounts and ~1,000 projects, and is idempotent", async () => {
    const now = new Date();
    const r = await cli(url, "seed:demo");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const year = demoYear(now);
    expect(r.stdout).toMatch(new RegExp(`Demo edition ${year} created`));

    const d = database();
    const edition = await d
      .selectFrom("editions")
      .selectAll()
      .where("year", "=", year)
      .executeTakeFirstOrThrow();
    // The demo edition is in public voting: nominees published, some votes cast.
    expect(editionStateAt(edition, new Date())).toMatchObject({ kind: "open", phase: "voting" });
    expect(edition.nominees_published_at).not.toBeNull();
    const nominated = await d
      .selectFrom("nomination_decisions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("decision", "=", "nominate")
      .executeTakeFirstOrThrow();
    expect(Number(nominated.n)).toBeGreaterThan(500);

    for (const account of DEMO_ACCOUNTS) {
      const user = await d
        .selectFrom("users")
        .selectAll()
        .where("email_canonical", "=", account.email)
        .executeTakeFirstOrThrow();
      expect(user.email_verified_at).not.toBeNull();
      const roles = await d.selectFrom("user_roles").select("role").where("user_id", "=", user.id).execute();
      expect(roles.map((x) => x.role)).toEqual([account.role]);
    }

    const projects = await d
      .selectFrom("projects")
      .innerJoin("organisations", "organisations.id", "projects.organisation_id")
      .select([
        "projects.category_id",
        "projects.short_description",
        "projects.status",
        "organisations.id as org",
      ])
      .where("projects.edition_id", "=", edition.id)
      .execute();
    expect(projects.length).toBeGreaterThanOrEqual(950);
    expect(projects.length).toBeLessThanOrEqual(1050);
    expect(new Set(projects.map((p) => p.category_id)).size).toBe(18);
    for (const p of projects) {
      const words = countWords(p.short_description);
      expect(words).toBeGreaterThanOrEqual(150);
      expect(words).toBeLessThanOrEqual(200);
    }
    // One project per organisation per category (the constraint would have refused the seed otherwise).
    expect(new Set(projects.map((p) => `${p.org}:${p.category_id}`)).size).toBe(projects.length);

    const orgs = await d.selectFrom("organisations").select(["stakeholder_type", "region"]).execute();
    expect(new Set(orgs.map((o) => o.stakeholder_type))).toEqual(
      new Set([
        "government",
        "private_sector",
        "civil_society",
        "international_organisation",
        "academia",
        "other",
      ]),
    );
    expect(new Set(orgs.map((o) => o.region))).toEqual(
      new Set(["africa", "americas", "arab_states", "asia_pacific", "cis", "europe", "international"]),
    );

    const counts = async () => ({
      editions: (await d.selectFrom("editions").select("id").execute()).length,
      users: (await d.selectFrom("users").select("id").execute()).length,
      projects: (await d.selectFrom("projects").select("id").execute()).length,
      organisations: orgs.length,
    });
    const before = await counts();
    for (const args of [["seed:demo"], ["seed:demo", "--if-empty"]]) {
      const again = await cli(url, ...args);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`Demo edition ${year} already`));
      expect(await counts()).toEqual(before);
    }
  });

  it("edition:phase opens the chosen phase now", async () => {
    const year = demoYear(new Date());
    for (const [arg, phase] of [
      ["voting", "voting"],
      ["announced", "announcement"],
      ["nomination", "nomination"],
    ]) {
      const r = await cli(url, "edition:phase", "--edition", String(year), "--phase", arg);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const edition = await database()
        .selectFrom("editions")
        .selectAll()
        .where("year", "=", year)
        .executeTakeFirstOrThrow();
      expect(editionStateAt(edition, new Date())).toMatchObject({ kind: "open", phase });
    }
    const audit = await database()
      .selectFrom("audit_log")
      .select("action")
      .where("action", "=", "edition.update")
      .execute();
    expect(audit).toHaveLength(3);
  });

  it("edition:phase refuses a bad year or phase and changes nothing", async () => {
    const year = String(demoYear(new Date()));
    const cases: Array<[string[], RegExp, number]> = [
      [["--edition", "YEAR", "--phase", "voting"], /--edition must be a year/, 2],
      [["--phase", "voting"], /--edition YEAR is required/, 2],
      [["--edition", year], /--phase must be one of/, 2],
      [["--edition", year, "--phase", "counting"], /--phase must be one of/, 2],
      [["--edition", year, "--phase", "constructor"], /--phase must be one of/, 2],
      [["--edition", "1999", "--phase", "voting"], /No edition for 1999/, 1],
    ];
    const editions = () => database().selectFrom("editions").selectAll().orderBy("id").execute();
    const before = await editions();
    const results = await Promise.all(cases.map(([args]) => cli(url, "edition:phase", ...args)));
    results.forEach((r, i) => {
      const label = cases[i][0].join(" ");
      expect(r.code, label).toBe(cases[i][2]);
      expect(r.stderr, label).toMatch(cases[i][1]);
    });
    expect(await editions()).toEqual(before);
  }, 180_000);

  it("migrate is idempotent", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await cli(url, "migrate");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Database is up to date/);
    }
    expect(await database().selectFrom("categories").select("id").execute()).toHaveLength(18);
  });

  it("reports a bad DATABASE_URL clearly", async () => {
    const r = await cli("mysql://db/wsis", "migrate");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL: must be a SQLite file path/);
  });
});

describe.runIf(process.env.TEST_POSTGRES_URL)("operator CLI on PostgreSQL", () => {
  const base = process.env.TEST_POSTGRES_URL ?? "";
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const url = `${base}${base.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  let db: Db;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    db = createDb(base, { schema, poolSize: 2 });
  });
  afterAll(async () => {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it("migrates, seeds the demo, and opens a phase in the schema it is given", async () => {
    const migrate = await cli(url, "migrate");
    expect(migrate.stderr).toBe("");
    expect(migrate.code).toBe(0);
    expect(await db.selectFrom("categories").select("code").orderBy("position").execute()).toHaveLength(18);

    const seed = await cli(url, "seed:demo");
    expect(seed.stderr).toBe("");
    expect(seed.code).toBe(0);
    const year = demoYear(new Date());
    const edition = await db
      .selectFrom("editions")
      .selectAll()
      .where("year", "=", year)
      .executeTakeFirstOrThrow();
    const projects = await db
      .selectFrom("projects")
      .select("id")
      .where("edition_id", "=", edition.id)
      .execute();
    expect(projects.length).toBeGreaterThanOrEqual(950);
    const demoAccounts = await db
      .selectFrom("users")
      .select("email")
      .where(
        "email",
        "in",
        DEMO_ACCOUNTS.map((a) => a.email),
      )
      .execute();
    expect(demoAccounts).toHaveLength(DEMO_ACCOUNTS.length);

    const again = await cli(url, "seed:demo", "--if-empty");
    expect(again.code).toBe(0);
    expect(await db.selectFrom("projects").select("id").execute()).toHaveLength(projects.length);

    const phase = await cli(url, "edition:phase", "--edition", String(year), "--phase", "voting");
    expect(phase.code).toBe(0);
    const moved = await db
      .selectFrom("editions")
      .selectAll()
      .where("year", "=", year)
      .executeTakeFirstOrThrow();
    expect(editionStateAt(moved, new Date())).toMatchObject({ kind: "open", phase: "voting" });

    const user = await cli(
      url,
      "user:create",
      "--email",
      "pg@example.org",
      "--password",
      STRONG,
      "--role",
      "voter",
    );
    expect(user.code).toBe(0);
    const dup = await cli(
      url,
      "user:create",
      "--email",
      "PG@example.org",
      "--password",
      STRONG,
      "--role",
      "voter",
    );
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
  });
});
