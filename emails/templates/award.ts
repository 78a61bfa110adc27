import { layout, type EmailContent } from "../layout";

export type AwardKind = "champion" | "winner";

export interface AwardInput {
  kind: AwardKind;
  /** The person addressed: the organisation's contact or one of its members. */
  recipientName: string;
  organisationName: string;
  projectTitle: string;
  categoryCode: string;
  categoryName: string;
  editionName: string;
  editionYear: number;
  /** The project's public page: ${APP_URL}/projects/:id. */
  url: string;
}

/**
 * Sent when organisers publish an edition's results, once per recipient, project and kind: a champion (top
 * five of the public vote in its category) or a winner (chosen by the Expert Group). Every value is plain text;
 * layout() escapes it for the HTML part.
 */
export function awardNotification(input: AwardInput): EmailContent {
  const project = `“${input.projectTitle}”`;
  const category = `${input.categoryCode} — ${input.categoryName}`;
  const footnote =
    "You receive this email as the contact person or a member of the organisation that submitted the project.";
  if (input.kind === "winner") {
    return layout({
      subject: `WSIS Prizes ${input.editionYear} Winner: ${input.projectTitle}`,
      paragraphs: [
        `Hello ${input.recipientName},`,
        `Congratulations: the project ${project} submitted by ${input.organisationName} is the winner of the ${input.editionName} in the category ${category}.`,
        "The Expert Group chose it among the champions of the category. The results are now public, and the project's page shows the WSIS Prizes Winner badge.",
      ],
      action: { label: "See your project’s public page", url: input.url },
      footnote,
    });
  }
  return layout({
    subject: `WSIS Prizes ${input.editionYear} Champion: ${input.projectTitle}`,
    paragraphs: [
      `Hello ${input.recipientName},`,
      `Congratulations: the project ${project} submitted by ${input.organisationName} is a champion of the ${input.editionName} in the category ${category}.`,
      "Champions are the projects of each category with the most valid votes in the public vote. The results are now public, and the project's page shows the WSIS Prizes Champion badge.",
    ],
    action: { label: "See your project’s public page", url: input.url },
    footnote,
  });
}
