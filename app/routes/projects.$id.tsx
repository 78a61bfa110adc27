import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AwardBadge } from "~/components/award-badge";
import { VotePanel } from "~/components/vote-panel";
import { WebsiteLink } from "~/components/website-link";
import { ballotFor } from "~/domain/voting.server";
import { db } from "~/utils/db.server";
import { getSessionUser } from "~/utils/session.server";
import { excerpt, findPublicProject, parseId, publicUrl } from "~/domain/catalogue.server";
import { projectAward } from "~/domain/results.server";
import { GDC_TITLES, SDG_TITLES } from "~/schemas/catalogue-options";
import { errorMeta, socialMeta } from "~/utils/social-meta";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return errorMeta();
  const { project } = data;
  return socialMeta({
    title: `${project.title} — ${project.organisation_name} · ${project.edition_name}`,
    description: data.description,
    url: data.url,
    type: "article",
  });
};

function notFound(): Response {
  // The same answer for a project that does not exist and one that is not public (draft, rejected,
  // not yet published): nothing is revealed about projects the public may not see.
  return new Response("This project does not exist or is not public.", {
    status: 404,
    statusText: "Not Found",
  });
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const id = parseId(params.id);
  if (id === null) throw notFound();
  const now = new Date();
  const project = await findPublicProject(id, now);
  if (!project) throw notFound();
  const current = await getSessionUser(request);
  const ballot = await ballotFor(
    db(),
    { editionId: project.edition_id, user: current?.user ?? null, roles: current?.roles ?? [] },
    now,
  );
  const award = await projectAward(project.id, now);
  return json({
    project,
    ballot,
    award,
    description: excerpt(project.short_description, 160),
    url: publicUrl(`/projects/${project.id}`),
  });
}

/** Plain text as paragraphs: blank-line or line-break separated, always rendered as text (never HTML). */
function Paragraphs({ text }: { text: string }) {
  const parts = text
    .split(/\r?\n/u)
    .map((p) => p.trim())
    .filter(Boolean);
  return (
    <>
      {parts.map((p, i) => (
        <p key={i}>{p}</p>
      ))}
    </>
  );
}

const IMPLEMENTATION_STATUS: Record<string, string> = {
  completed: "Completed",
  major_phase_ended: "A major phase has ended",
};

export default function ProjectPage() {
  const { project, ballot, award } = useLoaderData<typeof loader>();
  const year = project.edition_year;
  const longAnswers: Array<[string, string]> = [
    ["Linkage to the WSIS Action Line", project.action_line_linkage],
    ["Linkage to the Sustainable Development Goals", project.sdg_linkage],
    ["Linkage to the Global Digital Compact", project.gdc_linkage],
    ["Impact", project.impact],
    ["Partnerships", project.partnerships],
    ["Challenges and future perspectives", project.challenges],
  ];
  return (
    <article className="stack project">
      <p>
        <Link to={`/categories/${encodeURIComponent(project.category_code)}?edition=${year}`}>
          <span className="code">{project.category_code}</span>
          {project.category_name}
        </Link>
      </p>
      <h1>{project.title}</h1>
      {award ? <AwardBadge kind={award.kind} year={award.year} /> : null}
      <div className="vote-box">
        <VotePanel
          ballot={ballot}
          projectId={project.id}
          projectTitle={project.title}
          categoryId={project.category_id}
          back={`/projects/${project.id}`}
        />
      </div>
      <p className="muted">
        Nominee of the {project.edition_name} · {project.organisation_name} · {project.countryName}
      </p>

      <section aria-labelledby="short-description">
        <h2 id="short-description">Short description</h2>
        <Paragraphs text={project.short_description} />
      </section>

      {longAnswers.map(([heading, text], i) =>
        text.trim() ? (
          <section key={heading} aria-labelledby={`answer-${i}`}>
            <h2 id={`answer-${i}`}>{heading}</h2>
            <Paragraphs text={text} />
          </section>
        ) : null,
      )}

      <section aria-labelledby="about">
        <h2 id="about">About the project</h2>
        <dl className="facts">
          <dt>Organisation</dt>
          <dd>
            {project.organisation_name} ({project.stakeholderLabel})
            {project.organisation_website ? (
              <>
                <br />
                <WebsiteLink url={project.organisation_website} />
              </>
            ) : null}
          </dd>
          <dt>Organisation’s country</dt>
          <dd>{project.organisationCountryName}</dd>
          <dt>Region</dt>
          <dd>{project.regionLabel}</dd>
          <dt>Country of implementation</dt>
          <dd>{project.countryName}</dd>
          {project.start_year ? (
            <>
              <dt>Start year</dt>
              <dd>{project.start_year}</dd>
            </>
          ) : null}
          {project.implementation_status ? (
            <>
              <dt>Status</dt>
              <dd>{IMPLEMENTATION_STATUS[project.implementation_status] ?? project.implementation_status}</dd>
            </>
          ) : null}
          {project.website ? (
            <>
              <dt>Website</dt>
              <dd>
                <WebsiteLink url={project.website} />
              </dd>
            </>
          ) : null}
          <dt>Sustainable Development Goals</dt>
          <dd>
            {project.sdgList.length ? (
              <ul>
                {project.sdgList.map((n) => (
                  <li key={n}>
                    SDG {n}: {SDG_TITLES[n]}
                  </li>
                ))}
              </ul>
            ) : (
              "None given"
            )}
          </dd>
          {project.gdcList.length ? (
            <>
              <dt>Global Digital Compact objectives</dt>
              <dd>
                <ul>
                  {project.gdcList.map((n) => (
                    <li key={n}>
                      {n}. {GDC_TITLES[n]}
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <p>
        <Link to={`/categories/${encodeURIComponent(project.category_code)}?edition=${year}`}>
          More nominees in {project.category_code}
        </Link>{" "}
        · <Link to={`/projects?edition=${year}`}>Search all nominees</Link>
      </p>
    </article>
  );
}
