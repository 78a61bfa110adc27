/** A rendered email: every template returns one. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

export interface LayoutInput {
  subject: string;
  /** Paragraphs of plain text; each is escaped for HTML. */
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Small print under the action, plain text. */
  footnote?: string;
}

/** The shared look of every email: header, paragraphs, one call-to-action button, footer; and its text twin. */
export function layout(input: LayoutInput): EmailContent {
  const p = (t: string) => `<p style="margin:0 0 16px;font-size:16px;line-height:1.5">${escapeHtml(t)}</p>`;
  const button = input.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(input.action.url)}" style="background:#0b5fa5;color:#fff;padding:12px 20px;border-radius:4px;text-decoration:none;font-weight:bold;display:inline-block">${escapeHtml(input.action.label)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#555">If the button does not work, copy this address into your browser:<br>${escapeHtml(input.action.url)}</p>`
    : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(input.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f6f8;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" style="max-width:560px;background:#fff;border-radius:6px" cellpadding="0" cellspacing="0">
<tr><td style="background:#0b5fa5;color:#fff;padding:16px 24px;font-size:18px;font-weight:bold;border-radius:6px 6px 0 0">WSIS Prizes</td></tr>
<tr><td style="padding:24px">
${input.paragraphs.map(p).join("\n")}
${button}
${input.footnote ? `<p style="margin:16px 0 0;font-size:13px;color:#555">${escapeHtml(input.footnote)}</p>` : ""}
</td></tr>
<tr><td style="padding:16px 24px;font-size:12px;color:#777;border-top:1px solid #e5e5e5">World Summit on the Information Society — WSIS Prizes. You receive this email because of an action on your account.</td></tr>
</table></td></tr></table></body></html>`;
  const text = [
    "WSIS Prizes",
    "",
    ...input.paragraphs.flatMap((t) => [t, ""]),
    ...(input.action ? [`${input.action.label}: ${input.action.url}`, ""] : []),
    ...(input.footnote ? [input.footnote, ""] : []),
    "--",
    "World Summit on the Information Society — WSIS Prizes",
  ].join("\n");
  return { subject: input.subject, html, text };
}
