import { awardNotification } from "../../emails/templates/award";

/** The i-th of a run of synthetic award emails (every fifth a winner), as the bench and chaos runs queue them. */
export function syntheticAward(i: number) {
  const kind = i % 5 === 0 ? "winner" : "champion";
  const content = awardNotification({
    kind,
    recipientName: `Contact ${i}`,
    organisationName: `Organisation ${i}`,
    projectTitle: `Project ${i}`,
    categoryCode: "C4",
    categoryName: "Capacity building",
    editionName: "WSIS Prizes 2099",
    editionYear: 2099,
    url: `http://127.0.0.1:3000/projects/${i + 1}`,
  });
  return { kind, content };
}
