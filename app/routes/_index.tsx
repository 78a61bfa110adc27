import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { PHASE_LABELS, PHASES, editionStateAt, formatInstant, isPhaseOpen } from "~/domain/phases";
import { currentEdition, listCategories } from "~/domain/editions.server";

export const meta: MetaFunction = () => [
  { title: "WSIS Prizes — ICT for development projects" },
  {
    name: "description",
    content:
      "The WSIS Prizes: organisations submit ICT-for-development projects, the public votes, experts choose.",
  },
];

export async function loader(_args: LoaderFunctionArgs) {
  const now = new Date();
  const [edition, categories] = await Promise.all([currentEdition(now), listCategories()]);
  if (!edition) return json({ edition: null, categories });
  const state = editionStateAt(edition, now);
  const tz = edition.timezone;
  const timeline = PHASES.map((p) => ({
    phase: p,
    label: PHASE_LABELS[p],
    opens: formatInstant(edition[`${p}_opens_at`], tz),
    closes: formatInstant(edition[`${p}_closes_at`], tz),
    open: isPhaseOpen(edition, p, now),
  }));
  let summary: string;
  if (state.kind === "open")
    summary = `${PHASE_LABELS[state.phase]} is open until ${formatInstant(state.closesAt, tz)}.`;
  else if (state.kind === "upcoming")
    summary = `${PHASE_LABELS[state.next]} opens on ${formatInstant(state.opensAt, tz)}.`;
  else if (state.kind === "between")
    summary = `${PHASE_LABELS[state.next]} opens on ${formatInstant(state.opensAt, tz)}.`;
  else summary = `This edition closed on ${formatInstant(state.closedAt, tz)}.`;
  return json({ edition: { year: edition.year, name: edition.name, summary, timeline }, categories });
}

export default function Index() {
  const { edition, categories } = useLoaderData<typeof loader>();
  return (
    <div className="stack">
      {edition ? (
        <>
          <h1>{edition.name}</h1>
          <div className="phase">
            <p>
              <strong>{edition.summary}</strong>
            </p>
            <ol className="timeline">
              {edition.timeline.map((t) => (
                <li key={t.phase} className={t.open ? "current" : undefined}>
                  {t.label}: {t.opens} – {t.closes}
                  {t.open ? " (open now)" : ""}
                </li>
              ))}
            </ol>
          </div>
        </>
      ) : (
        <>
          <h1>WSIS Prizes</h1>
          <p className="notice notice-info">
            No edition has been scheduled yet. Organisers can create one in the admin area.
          </p>
        </>
      )}
      <h2>The 18 categories</h2>
      <ul className="category-list">
        {categories.map((c) => (
          <li key={c.code}>
            <span className="code">{c.code}</span>
            {c.name}
          </li>
        ))}
      </ul>
    </div>
  );
}
