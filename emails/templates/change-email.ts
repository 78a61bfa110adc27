import { layout, type EmailContent } from "../layout";

/** Sent to the new address when a user changes their email: it takes effect once confirmed. */
export function confirmNewEmail(input: { name: string; url: string; hours: number }): EmailContent {
  return layout({
    subject: "Confirm your new email address for the WSIS Prizes",
    paragraphs: [
      `Hello ${input.name},`,
      "You asked to use this address for your WSIS Prizes account. Confirm it to complete the change; until then your previous address stays in use.",
    ],
    action: { label: "Confirm my new address", url: input.url },
    footnote: `This link works once and expires in ${input.hours} hours. If you did not ask for this, ignore this email.`,
  });
}

/** Sent to the old address once the change is done, so a hijack does not go unnoticed. */
export function emailChangedNotice(input: { name: string; newEmail: string }): EmailContent {
  return layout({
    subject: "Your WSIS Prizes email address was changed",
    paragraphs: [
      `Hello ${input.name},`,
      `The email address of your WSIS Prizes account is now ${input.newEmail}.`,
      "If you did not make this change, reset your password at once and contact the organisers.",
    ],
  });
}
