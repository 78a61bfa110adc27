import { describe, expect, it } from "vitest";
import { FRAUD_RULES, findPatterns } from "../../app/domain/fraud.server";

type Fact = Parameters<typeof findPatterns>[0][number];
let id = 0;
function vote(over: Partial<Fact>): Fact {
  id++;
  return {
    id,
    project_id: 1,
    ip: `198.51.${Math.floor(id / 250)}.${id % 250}`,
    network: `198.51.${Math.floor(id / 250)}.0/24`,
    created_at: new Date(Date.UTC(2031, 2, 10, 12, 0, 0) + id * 7_919).toISOString(),
    account_created_at: "2031-01-01T00:00:00.000Z",
    email_canonical: `person${String.fromCharCode(97 + (id % 26))}${String.fromCharCode(97 + ((id >> 5) % 26))}@example.org`,
    ...over,
  };
}

describe("fraud patterns", () => {
  it("finds nothing in ordinary voting", () => {
    const facts = Array.from({ length: 200 }, (_, i) => vote({ project_id: 1 + (i % 7) }));
    expect(findPatterns(facts)).toEqual([]);
  });

  it("flags many votes for one project from one IP, with the evidence", () => {
    const facts = Array.from({ length: FRAUD_RULES.sameIp }, () =>
      vote({ ip: "203.0.113.5", network: "203.0.113.0/24" }),
    );
    const found = findPatterns(facts).find((f) => f.kind === "same_ip");
    expect(found).toMatchObject({ subject: "project:1|ip:203.0.113.5", projectId: 1 });
    expect(found?.voteIds).toHaveLength(FRAUD_RULES.sameIp);
    expect(found?.evidence).toMatchObject({ votes: FRAUD_RULES.sameIp, ip: "203.0.113.5" });
  });

  it("flags a network, a burst of fresh accounts, identical timing, disposable and look-alike addresses", () => {
    const net = Array.from({ length: FRAUD_RULES.sameNetwork }, (_, i) =>
      vote({ project_id: 2, ip: `192.0.2.${i}`, network: "192.0.2.0/24" }),
    );
    const fresh = Array.from({ length: FRAUD_RULES.freshBurst }, (_, i) =>
      vote({
        project_id: 3,
        created_at: `2031-03-10T14:${String(i).padStart(2, "0")}:00.000Z`,
        account_created_at: `2031-03-10T14:${String(i).padStart(2, "0")}:00.000Z`.replace(
          ":00.000Z",
          ":00.000Z",
        ),
      }),
    );
    const sameSecond = Array.from({ length: FRAUD_RULES.sameSecond }, (_, i) =>
      vote({ project_id: 4, created_at: `2031-03-10T15:00:00.${String(i).padStart(3, "0")}Z` }),
    );
    const disposable = Array.from({ length: FRAUD_RULES.disposable }, (_, i) =>
      vote({ project_id: 5, email_canonical: `x${i}@mailinator.com` }),
    );
    const lookalike = Array.from({ length: FRAUD_RULES.lookalike }, (_, i) =>
      vote({ project_id: 6, email_canonical: `johnsmith${i + 1}@example.net` }),
    );
    const kinds = findPatterns([...net, ...fresh, ...sameSecond, ...disposable, ...lookalike]).map(
      (f) => `${f.kind}:${f.projectId}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        "same_network:2",
        "fresh_accounts:3",
        "same_second:4",
        "disposable_email:5",
        "lookalike_email:6",
      ]),
    );
  });
});
