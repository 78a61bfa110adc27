import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import type { Organisation, Project } from "../../db/schema";
import { countryName } from "~/domain/countries";
import { REGION_LABELS } from "~/domain/regions";
import { STAKEHOLDER_LABELS } from "~/schemas/organisation-options";
import {
  IMPLEMENTATION_STATUS_LABELS,
  LONG_ANSWER_FIELDS,
  LONG_ANSWER_LABELS,
} from "~/schemas/project-options";
import { WebsiteLink } from "~/components/website-link";

/*
 * What the experts' project pages (review in the nomination, jury in the selection) show alike: the page head,
 * the project's facts and its organisation. The loaders build the data with projectFacts and organisationFacts.
 */

/** The project as both expert pages show it (loader data). */
export function projectFacts(project: Project) {
  return {
    id: project.id,
    title: project.title,
    website: project.website,
    country: countryName(project.country),
    startYear: project.start_year,
    implementation: project.implementation_status
      ? IMPLEMENTATION_STATUS_LABELS[project.implementation_status]
      : null,
    shortDescription: project.short_description,
    longAnswers: LONG_ANSWER_FIELDS.map((f) => ({
      field: f,
      label: LONG_ANSWER_LABELS[f].label,
      text: project[f],
    })),
  };
}

/** The organisation as both expert pages show it (loader data). */
export function organisationFacts(
  organisation: Pick<Organisation, "name" | "stakeholder_type" | "country" | "region">,
) {
  return {
    name: organisation.name,
    stakeholder: STAKEHOLDER_LABELS[organisation.stakeholder_type],
    country: countryName(organisation.country),
    region: REGION_LABELS[organisation.region],
  };
}

/** The page head: a link back to the expert's list, the project title, its category, organisation and edition. */
export function ExpertProjectHeader({
  back,
  title,
  category,
  organisation,
  edition,
}: {
  back: { to: string; label: ReactNode };
  title: string;
  category: { code: string; name: string };
  organisation: string;
  edition: string;
}) {
  return (
    <>
      <p>
        <Link to={back.to}>{back.label}</Link>
      </p>
      <h1>{title || "(untitled)"}</h1>
      <p className="muted">
        <span className="code">{category.code}</span>
        {category.name} · {organisation} · {edition}
      </p>
    </>
  );
}

/** The rows of a project's facts both pages list, inside their <dl>. */
export function ProjectFactRows({
  project,
}: {
  project: Pick<ReturnType<typeof projectFacts>, "country" | "startYear" | "implementation" | "website">;
}) {
  return (
    <>
      <dt>Country of implementation</dt>
      <dd>{project.country}</dd>
      <dt>Start year</dt>
      <dd>{project.startYear ?? "—"}</dd>
      <dt>Status</dt>
      <dd>{project.implementation ?? "—"}</dd>
      <dt>Project website</dt>
      <dd>{project.website ? <WebsiteLink url={project.website} /> : "—"}</dd>
    </>
  );
}
