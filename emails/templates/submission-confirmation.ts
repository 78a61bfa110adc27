import { layout, type EmailContent } from "../layout";

/**
 * Sent once per project and recipient when an organisation submits a project (DESIGN §3). Every value is
 * plain text: layout() escapes it, so HTML or script typed into a field arrives as text.
 */
export function submissionConfirmation(input: {
  projectTitle: string;
  organisationName: string;
  categoryCode: string;
  categoryName: string;
  editionName: string;
  /** Already formatted in the edition's time zone. */
  submittedAt: string;
  /** Already formatted in the edition's time zone. */
  deadline: string;
  url: string;
}): EmailContent {
  return layout({
    subject: `Project submitted to the ${input.editionName}`,
    paragraphs: [
      "Hello,",
      `The project “${input.projectTitle}” of ${input.organisationName} was submitted to the ${input.editionName} on ${input.submittedAt}.`,
      `Category: ${input.categoryCode} — ${input.categoryName}.`,
      `Members of the organisation can still edit or withdraw it until the submission deadline, ${input.deadline}. After the deadline, experts review every submitted project and the nominees are announced by email.`,
    ],
    action: { label: "View the submission", url: input.url },
    footnote:
      "You receive this email because you submitted this project or are the contact person of the organisation. It is sent once per project: later edits before the deadline do not send another.",
  });
}
