import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

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
  {
    // The domain does not know the job runner (docs/decisions/0006-job-contract.md): app/ reaches jobs through
    // app/jobs/ (the contract and the "jobs" port). app/server.ts is the composition root that wires workers/.
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/server.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/workers", "**/workers/**"],
              message:
                "app/ never imports workers/: use app/jobs/contract.ts and the jobs port (app/jobs/port.server.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["db/migrations/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
