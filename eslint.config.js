import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

const NO_WORKERS = {
  group: ["**/workers", "**/workers/**"],
  message:
    "app/ never imports workers/: use app/jobs/contract.ts and the jobs port (app/jobs/port.server.ts).",
};

const ZOD_FREE_SCHEMAS = {
  group: [
    "~/schemas/*",
    "../schemas/*",
    "!~/schemas/*-options",
    "!../schemas/*-options",
    "!~/schemas/index.server",
  ],
  message:
    "Import schemas from ~/schemas/index.server and constants or helpers from a zod-free *-options module.",
};

export default tseslint.config(
  { ignores: ["build/**", "var/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  // Import boundaries. In flat config a later block replaces an earlier block's options for the same rule, so
  // the pages' block repeats the app-wide patterns.
  {
    // The domain does not know the job runner (docs/decisions/0006-job-contract.md): app/ reaches jobs through
    // app/jobs/ (the contract and the "jobs" port). app/server.ts is the composition root that wires workers/.
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/server.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [NO_WORKERS] }] },
  },
  {
    // Pages keep zod out of the browser: schemas come through the .server barrel, constants from *-options.
    files: ["app/routes/**", "app/components/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "zod",
              message: "Parse in a schema module; routes import schemas from ~/schemas/index.server.",
            },
          ],
          patterns: [NO_WORKERS, ZOD_FREE_SCHEMAS],
        },
      ],
    },
  },
  {
    files: ["db/migrations/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
