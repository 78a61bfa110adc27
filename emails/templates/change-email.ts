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

/**
 * Sent to an address that is already registered when another account asks to move to it: the requester is
 * told the same as for a free address (no enumeration), and the owner learns what happened.
 */
export function emailInUseNotice(input: { name: string }): EmailContent {
  return layout({
    subject: "Someone tried to use your email address for the WSIS Prizes",
    paragraphs: [
      `Hello ${input.name},`,
      "Someone signed in to another WSIS Prizes account asked to change its email address to this one. This address already belongs to your account, so nothing was changed.",
    ],
    footnote: "If this was you, sign in with this address instead. Otherwise you can ignore this email.",
  });
}
