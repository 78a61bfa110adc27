/** Form bodies that several HTTP tests post as they are. */

/** A valid new-edition form: Geneva wall-clock times, phases back to back. */
export function editionForm(year: number, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    year: String(year),
    name: `WSIS Prizes ${year}`,
    timezone: "Europe/Zurich",
    submission_opens_at: `${year}-01-10T09:00`,
    submission_closes_at: `${year}-02-10T23:59`,
    nomination_opens_at: `${year}-02-11T00:00`,
    nomination_closes_at: `${year}-03-01T00:00`,
    voting_opens_at: `${year}-03-05T12:00`,
    voting_closes_at: `${year}-04-01T12:00`,
    selection_opens_at: `${year}-04-02T00:00`,
    selection_closes_at: `${year}-05-01T00:00`,
    announcement_opens_at: `${year}-05-02T00:00`,
    announcement_closes_at: `${year}-12-31T00:00`,
    ...overrides,
  };
}

/** A valid organisation form. */
export const ORGANISATION_FORM = {
  name: "Open Schools Network",
  stakeholderType: "academia",
  country: "KE",
  region: "",
  website: "https://schools.example.org",
  contactName: "Grace Contact",
  contactEmail: "grace@schools.example.org",
};
