import { parseArgs } from "node:util";
import { z } from "zod";
import { openPhaseNow, findEditionByYear } from "../app/domain/editions.server";
import { type Phase } from "../app/domain/phases";
import { createUser } from "../app/domain/users.server";
import { env } from "../app/utils/env.server";
import { checkPassword } from "../app/domain/password-policy.server";
import { closeDb, getDb } from "./client";
import { DEMO_ACCOUNTS, DEMO_PASSWORD, demoYear, seedDemo } from "./demo";
import { prepareDatabase } from "./prepare";
import { ROLES } from "./schema";

const USAGE = `Usage: npm run wsis -- <command> [options]

Commands:
  migrate                                    apply pending migrations and the 18 categories
  seed:demo [--if-empty]                     create the demo edition, accounts and ~1,000 projects
  user:create --email E --password P --role R [--role R2] [--name N]
                                             create a verified account (roles: ${ROLES.join(", ")})
  edition:phase --edition YEAR --phase P     move the edition's instants so phase P is open now
                                             (P: submission, nomination, voting, selection, announced)
`;

/** Bad arguments: the message and the usage are printed, exit code 2. */
class UsageError extends Error {}
/** A well-formed command the data refuses (duplicate account, unknown edition): the message only, exit code 1. */
class RefusedError extends Error {}

const PHASE_ALIASES: Record<string, Phase> = {
  submission: "submission",
  nomination: "nomination",
  voting: "voting",
  selection: "selection",
  announced: "announcement",
  announcement: "announcement",
};

async function run(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help") return USAGE;
  // Opened on first use, so that a usage error leaves no database file behind.
  const database = () => getDb(env().DATABASE_URL);
  const now = new Date();
  switch (command) {
    case "migrate": {
      if (rest.length) throw new UsageError("migrate takes no options.");
      await prepareDatabase(database());
      return "Database is up to date.";
    }
    case "seed:demo": {
      const { values } = parseArgs({ args: rest, options: { "if-empty": { type: "boolean" } } });
      await prepareDatabase(database());
      const created = await seedDemo(database(), now);
      if (!created) {
        return values["if-empty"]
          ? `Demo edition ${demoYear(now)} already present; nothing to do.`
          : `Demo edition ${demoYear(now)} already exists; nothing was changed.`;
      }
      const lines = DEMO_ACCOUNTS.map((a) => `  ${a.role.padEnd(10)} ${a.email}`);
      return `Demo edition ${demoYear(now)} created. Accounts (password ${DEMO_PASSWORD}):\n${lines.join("\n")}`;
    }
    case "user:create": {
      const { values } = parseArgs({
        args: rest,
        options: {
          email: { type: "string" },
          password: { type: "string" },
          role: { type: "string", multiple: true },
          name: { type: "string" },
        },
      });
      const parsed = z
        .object({
          email: z.email("--email must be an email address"),
          password: z.string({ error: "--password is required" }),
          role: z
            .array(z.enum(ROLES, { error: `--role must be one of ${ROLES.join(", ")}` }))
            .min(1, "--role is required"),
          name: z
            .string()
            .trim()
            .min(1, "--name must not be empty")
            .max(100, "--name must be at most 100 characters")
            .optional(),
        })
        .safeParse({ ...values, role: values.role ?? [] });
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("\n"));
      const weak = checkPassword(parsed.data.password, parsed.data.email);
      if (weak) throw new UsageError(`--password: ${weak}`);
      await prepareDatabase(database());
      const user = await createUser(
        {
          email: parsed.data.email,
          name: parsed.data.name ?? parsed.data.email.split("@")[0],
          password: parsed.data.password,
          roles: parsed.data.role,
          verified: true,
          now,
        },
        database(),
      );
      if (!user) throw new RefusedError(`An account with the email ${parsed.data.email} already exists.`);
      return `Created user #${user.id} ${user.email} (${parsed.data.role.join(", ")}), email verified.`;
    }
    case "edition:phase": {
      const { values } = parseArgs({
        args: rest,
        options: { edition: { type: "string" }, phase: { type: "string" } },
      });
      if (!values.edition) throw new UsageError("--edition YEAR is required");
      if (!/^\d{4}$/.test(values.edition)) throw new UsageError("--edition must be a year such as 2027");
      const year = Number(values.edition);
      const phase = Object.hasOwn(PHASE_ALIASES, values.phase ?? "")
        ? PHASE_ALIASES[values.phase ?? ""]
        : undefined;
      if (!phase)
        throw new UsageError(`--phase must be one of submission, nomination, voting, selection, announced`);
      await prepareDatabase(database());
      if (!(await findEditionByYear(year, database()))) throw new RefusedError(`No edition for ${year}.`);
      const edition = await openPhaseNow(year, phase, null, now, database());
      if (!edition) throw new Error("could not update the edition");
      return `Edition ${year}: ${phase} is open now (${edition[`${phase}_opens_at`]} – ${edition[`${phase}_closes_at`]}).`;
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

run(process.argv.slice(2))
  .then(async (message) => {
    process.stdout.write(`${message}\n`);
    await closeDb();
  })
  .catch(async (e: unknown) => {
    await closeDb();
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(
      `${e instanceof RefusedError ? "" : "Error: "}${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(1);
  });
