import { layout, type EmailContent } from "../layout";

/** Sent after registration: confirm the address to be able to vote. */
export function verifyEmail(input: { name: string; url: string; hours: number }): EmailContent {
  return layout({
    subject: "Confirm your email address for the WSIS Prizes",
    paragraphs: [
      `Hello ${input.name},`,
      "Thank you for registering with the WSIS Prizes. Please confirm your email address to activate your account.",
    ],
    action: { label: "Confirm my email address", url: input.url },
    footnote: `This link works once and expires in ${input.hours} hours. If you did not register, ignore this email.`,
  });
}

/**
 * Sent instead of a confirmation link when someone registers with an address that already has an account:
 * the page answers the same either way (no enumeration), and the owner learns what happened.
 */
export function accountExists(input: { name: string; signInUrl: string; resetUrl: string }): EmailContent {
  return layout({
    subject: "Someone tried to register with your email address",
    paragraphs: [
      `Hello ${input.name},`,
      "Someone, perhaps you, tried to create a WSIS Prizes account with this email address. You already have an account, so no new one was created.",
      `If it was you, sign in at ${input.signInUrl}. If you have forgotten your password, you can choose a new one with the button below.`,
    ],
    action: { label: "Reset my password", url: input.resetUrl },
    footnote: "If you did not try to register, ignore this email: nothing has changed on your account.",
  });
}
