/**
 * The organisation form's options and limits, apart from the schema so that the browser bundle of the form
 * does not carry the country code list the schema validates against.
 */
import type { StakeholderType } from "../../db/schema";

/** Stakeholder types in display order (DESIGN §3). */
export const STAKEHOLDER_TYPES = [
  "government",
  "private_sector",
  "civil_society",
  "international_organisation",
  "academia",
  "other",
] as const satisfies readonly StakeholderType[];

/** Display names of the stakeholder types. */
export const STAKEHOLDER_LABELS: Readonly<Record<StakeholderType, string>> = {
  government: "Government",
  private_sector: "Private sector",
  civil_society: "Civil society",
  international_organisation: "International organisation",
  academia: "Academia",
  other: "Other",
};

/** Longest accepted values, shown as maxLength on the form too. */
export const ORGANISATION_LIMITS = { name: 200, contactName: 100, email: 254, website: 500 } as const;

/** The HTML constraints of the organisation form; tests/unit/form-constraints.test.ts checks them against the schema. */
export const ORGANISATION_FIELDS = {
  name: { maxLength: ORGANISATION_LIMITS.name, required: true },
  stakeholderType: { required: true },
  country: { required: true },
  website: { maxLength: ORGANISATION_LIMITS.website },
  contactName: { maxLength: ORGANISATION_LIMITS.contactName, required: true },
  contactEmail: { maxLength: ORGANISATION_LIMITS.email, required: true },
} as const;
