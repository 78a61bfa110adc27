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
          patterns: [
            {
              group: [
                "~/schemas/*",
                "../schemas/*",
                "!~/schemas/*-options",
                "!../schemas/*-options",
                "!~/schemas/index.server",
              ],
              message:
                "Import schemas from ~/schemas/index.server and constants or helpers from a zod-free *-options module.",
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
