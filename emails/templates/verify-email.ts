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
