import { afterEach, beforeEach, vi } from "vitest";

// STYLE habit 7: an unexpected console.error fails the test that caused it.
let errors: unknown[][] = [];
beforeEach(() => {
  errors = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(args);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  if (errors.length) {
    const first = errors[0].map(String).join(" ");
    errors = [];
    throw new Error(`unexpected console.error: ${first}`);
  }
});
