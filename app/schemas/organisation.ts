import { z } from "zod";
import type { ItuRegion } from "../../db/schema";
import { isCountryCode } from "../domain/countries";
import { ITU_REGIONS, resolveRegion } from "../domain/regions";
import { ORGANISATION_LIMITS, STAKEHOLDER_TYPES } from "./organisation-options";
import { email, id } from "./primitives";

export { ORGANISATION_LIMITS, STAKEHOLDER_LABELS, STAKEHOLDER_TYPES } from "./organisation-options";

/** True for an absolute http(s) address whose host has a top-level domain (https://example.org/…). */
export function isWebAddress(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && /\.[a-z]{2,}$/i.test(url.hostname);
}

function requiredText(what: string, max: number) {
  return z
    .string({ error: `Enter ${what}.` })
    .trim()
    .min(1, `Enter ${what}.`)
    .max(max, `Use at most ${max} characters.`);
}

/**
 * The organisation profile form. The region is resolved here: an unambiguous country decides it (a
 * contradicting choice is overridden, because without JavaScript the region select cannot follow the
 * country select), "international" is kept when chosen, and an ambiguous country needs a choice.
 * Parsing its own output gives the same output, so domain functions re-check what routes already parsed.
 */
export const OrganisationSchema = z
  .object({
    name: requiredText("the name of the organisation", ORGANISATION_LIMITS.name),
    stakeholderType: z.enum(STAKEHOLDER_TYPES, { error: "Choose the type of stakeholder." }),
    country: z
      .string({ error: "Choose a country." })
      .trim()
      .min(1, "Choose a country.")
      .max(2, "Choose a country from the list.")
      .toUpperCase()
      .refine(isCountryCode, "Choose a country from the list."),
    region: z
      .union([z.enum(ITU_REGIONS), z.literal("")], { error: "Choose one of the ITU regions." })
      .optional(),
    website: z
      .string({ error: "Enter a web address such as https://example.org." })
      .trim()
      .max(ORGANISATION_LIMITS.website, `Use at most ${ORGANISATION_LIMITS.website} characters.`)
      .refine(
        (v) => v === "" || isWebAddress(v),
        "Enter a web address starting with http:// or https://, such as https://example.org.",
      )
      .nullish(),
    contactName: requiredText("the name of the contact person", ORGANISATION_LIMITS.contactName),
    contactEmail: email("the contact person's email address"),
  })
  .transform((v, ctx) => {
    const region: ItuRegion | null = resolveRegion(v.country, v.region || null);
    if (region === null) {
      ctx.issues.push({
        code: "custom",
        path: ["region"],
        input: v.region,
        message: "Choose the ITU region of your organisation: it cannot be told from this country alone.",
      });
      return z.NEVER;
    }
    return {
      name: v.name,
      stakeholderType: v.stakeholderType,
      country: v.country,
      region,
      website: v.website ? v.website : null,
      contactName: v.contactName,
      contactEmail: v.contactEmail,
    };
  });

/** What the organisation form posts (raw); parsed by OrganisationSchema. */
export type OrganisationFormInput = z.input<typeof OrganisationSchema>;
/** A valid organisation profile, region resolved. */
export type OrganisationInput = z.output<typeof OrganisationSchema>;

/** A member invites a colleague by email. */
export const InviteSchema = z.object({ email: email("your colleague's email address") });

/** A member removes a member (or leaves). */
export const RemoveMemberSchema = z.object({
  userId: id("Choose a member."),
});

/** The :id of /organisations/:id — a positive integer, otherwise the page does not exist. */
export const OrganisationIdParam = id();

/** The :token of /invitations/:token, as we make them (base64url). */
export const InvitationTokenParam = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/);
