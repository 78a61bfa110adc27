import { layout, type EmailContent } from "../layout";

/**
 * Sent when a member invites a colleague to co-manage an organisation. The subject stays generic: names typed
 * by users go only into the body, where the layout escapes them.
 */
export function organisationInvitation(input: {
  inviterName: string;
  organisationName: string;
  url: string;
  days: number;
}): EmailContent {
  return layout({
    subject: "You are invited to co-manage an organisation on the WSIS Prizes",
    paragraphs: [
      "Hello,",
      `${input.inviterName} invited you to co-manage the organisation “${input.organisationName}” on the WSIS Prizes platform: you will be able to edit its profile and prepare its project submissions.`,
      "Open the link below and sign in with this email address (or register with it first if you have no account yet), then accept the invitation.",
    ],
    action: { label: "Open the invitation", url: input.url },
    footnote: `This link works once and expires in ${input.days} days. If you do not know this organisation, ignore this email.`,
  });
}
