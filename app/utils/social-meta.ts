import type { MetaDescriptor } from "@remix-run/node";

export interface PageMeta {
  title: string;
  description: string;
  /** Absolute canonical address, built from APP_URL on the server (never from the request's Host). */
  url?: string;
  type?: "website" | "article";
}

/** Title, description, canonical link and the Open Graph / Twitter tags used when a page is shared. */
export function socialMeta(page: PageMeta): MetaDescriptor[] {
  const tags: MetaDescriptor[] = [
    { title: page.title },
    { name: "description", content: page.description },
    { property: "og:site_name", content: "WSIS Prizes" },
    { property: "og:title", content: page.title },
    { property: "og:description", content: page.description },
    { property: "og:type", content: page.type ?? "website" },
    { name: "twitter:card", content: "summary" },
  ];
  if (page.url) {
    tags.push(
      { property: "og:url", content: page.url },
      { tagName: "link", rel: "canonical", href: page.url },
    );
  }
  return tags;
}

/** Meta for a page whose loader failed (404 and the like): a plain title, no sharing tags. */
export function errorMeta(title = "Page not found"): MetaDescriptor[] {
  return [{ title: `${title} — WSIS Prizes` }, { name: "robots", content: "noindex" }];
}
