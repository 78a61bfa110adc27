import { isIPv4, isIPv6 } from "node:net";

/** The network an address belongs to for fraud checks: its /24 for IPv4, its /48 for IPv6. */
export function networkOf(ip: string): string {
  const v4 = ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) return `${v4.split(".").slice(0, 3).join(".")}.0/24`;
  if (isIPv6(ip)) {
    const [head, tail = ""] = ip.split("::");
    const left = head ? head.split(":") : [];
    const right = tail ? tail.split(":") : [];
    const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
    return `${groups
      .slice(0, 3)
      .map((g) => (g || "0").toLowerCase())
      .join(":")}::/48`;
  }
  return ip;
}
