import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let domains: Set<string> | undefined;
let wildcards: string[] | undefined;

/** True when the address uses a disposable-email domain (the maintained disposable-email-domains list). */
export function isDisposableEmail(address: string): boolean {
  if (!domains) {
    domains = new Set<string>(require("disposable-email-domains") as string[]);
    wildcards = require("disposable-email-domains/wildcard.json") as string[];
  }
  const domain = address.trim().toLowerCase().split("@").pop() ?? "";
  if (domains.has(domain)) return true;
  return (wildcards ?? []).some((w) => domain === w || domain.endsWith(`.${w}`));
}
