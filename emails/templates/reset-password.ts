import { layout, type EmailContent } from "../layout";

/** Sent on "forgot password" for an existing account. */
export function resetPassword(input: { name: string; url: string; minutes: number }): EmailContent {
  return layout({
    subject: "Reset your WSIS Prizes password",
    paragraphs: [`Hello ${input.name},`, "Someone asked to reset the password of your WSIS Prizes account."],
    action: { label: "Choose a new password", url: input.url },
    footnote: `This link works once and expires in ${input.minutes} minutes. If you did not ask for it, ignore this email: your password stays unchanged.`,
  });
}
