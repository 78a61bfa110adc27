import { layout, type EmailContent } from "../layout";

export interface NominationResultInput {
  nominated: boolean;
  contactName: string;
  organisationName: string;
  projectTitle: string;
  categoryCode: string;
  categoryName: string;
  editionName: string;
  /** Why the project was not nominated (a reason label, plus the expert's text for "other"); null if none. */
  reason: string | null;
  /** "3 Mar 2027, 12:00 (Europe/Zurich)": when public voting opens, for nominees. */
  votingOpens: string;
  /** The project's public page (nominated) or the submitter's own project page (not nominated). */
  url: string;
}

/**
 * Sent to an organisation's contact when organisers publish the nominee list: nominated or not nominated.
 * Every value is plain text; layout() escapes it for the HTML part.
 */
export function nominationResult(input: NominationResultInput): EmailContent {
  const project = `“${input.projectTitle}”`;
  const category = `${input.categoryCode} — ${input.categoryName}`;
  if (input.nominated) {
    return layout({
      subject: `Your project ${project} is nominated for the WSIS Prizes`,
      paragraphs: [
        `Hello ${input.contactName},`,
        `Congratulations: the project ${project} submitted by ${input.organisationName} has been nominated for ${input.editionName} in the category ${category}.`,
        `Nominated projects are now public and take part in the public vote, which opens on ${input.votingOpens}. The five projects of each category with the most valid votes become champions, and the Expert Group chooses one winner among them.`,
      ],
      action: { label: "See your project’s public page", url: input.url },
      footnote:
        "You receive this email as the contact person of the organisation that submitted the project.",
    });
  }
  return layout({
    subject: `Nomination result for your project ${project}`,
    paragraphs: [
      `Hello ${input.contactName},`,
      `Thank you for taking part in ${input.editionName}. After review by the experts, the project ${project} submitted by ${input.organisationName} in the category ${category} has not been nominated.`,
      ...(input.reason ? [`Reason: ${input.reason}`] : []),
      "We encourage you to submit your work again in a future edition.",
    ],
    action: { label: "See your submission", url: input.url },
    footnote: "You receive this email as the contact person of the organisation that submitted the project.",
  });
}
