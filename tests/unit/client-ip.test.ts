import { describe, expect, it } from "vitest";
import { clientIp } from "../../app/utils/request.server";

describe("clientIp: the socket, or X-Forwarded-For only as far as TRUST_PROXY trusts it", () => {
  it("ignores the header when no proxy is trusted", () => {
    expect(clientIp("10.0.0.5", "198.51.100.7", 0)).toBe("10.0.0.5");
  });

  it("takes the address our own proxy saw, never what the client wrote before it", () => {
    // The client wrote 1.2.3.4 itself; our one proxy appended the address it saw.
    expect(clientIp("10.0.0.5", "1.2.3.4, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientIp("10.0.0.5", "1.2.3.4,203.0.113.9 , 10.0.0.9", 2)).toBe("203.0.113.9");
  });

  it("stops at the furthest address when the chain is shorter than the trusted hops", () => {
    expect(clientIp("10.0.0.5", "203.0.113.9", 3)).toBe("203.0.113.9");
    expect(clientIp("10.0.0.5", undefined, 1)).toBe("10.0.0.5");
    expect(clientIp("10.0.0.5", " , ", 1)).toBe("10.0.0.5");
    expect(clientIp(undefined, undefined, 0)).toBe("unknown");
  });
});
