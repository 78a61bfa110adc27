import { lstat, readFile, readdir } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { AddressObject, ParsedMail } from "mailparser";
import { env } from "../utils/env.server";
import { PAGE_SIZE } from "./admin.server";

/**
 * The development mail viewer: the .eml files the file transport writes to OUTBOX_DIR. Never reachable in
 * production (the routes answer 404 first), which is also why mailparser, a dev dependency, is only loaded
 * on demand here.
 */

const MAX_EML_BYTES = 5 * 1024 * 1024;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.eml$/;

/** True in development and test; the mail viewer answers 404 in production. */
export function devMailEnabled(): boolean {
  return env().NODE_ENV !== "production";
}

/**
 * The path of `name` inside `dir`, or null unless `name` is a plain .eml file name: no separators, no "..",
 * nothing that could resolve outside the outbox folder.
 */
export function outboxFilePath(dir: string, name: string): string | null {
  if (!SAFE_NAME.test(name) || name.includes("..") || basename(name) !== name) return null;
  const root = resolve(dir);
  const path = resolve(root, name);
  return dirname(path) === root ? path : null;
}

export interface MailSummary {
  file: string;
  subject: string;
  to: string;
  /** ISO instant from the Date header, or the file's modification time. */
  date: string;
}

export interface MailMessage extends MailSummary {
  from: string;
  text: string;
  html: string | null;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return "";
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(", ");
}

async function parse(path: string): Promise<ParsedMail> {
  const { simpleParser } = await import("mailparser");
  return simpleParser(await readFile(path), { skipImageLinks: true });
}

/** Regular files only: a symlink in the outbox folder could point anywhere. */
async function regularFile(path: string): Promise<{ mtime: Date; size: number } | null> {
  try {
    const s = await lstat(path);
    return s.isFile() ? { mtime: s.mtime, size: s.size } : null;
  } catch {
    return null;
  }
}

/** One page of the outbox folder's messages, newest first, with subject, recipient and date. */
export async function listOutboxFiles(
  page: number,
  dir: string = env().OUTBOX_DIR,
): Promise<{ rows: MailSummary[]; total: number }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { rows: [], total: 0 };
  }
  const files: { name: string; path: string; mtime: Date; size: number }[] = [];
  for (const name of names) {
    const path = outboxFilePath(dir, name);
    const stat = path ? await regularFile(path) : null;
    if (path && stat) files.push({ name, path, ...stat });
  }
  files.sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || b.name.localeCompare(a.name));
  const slice = files.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const rows = await Promise.all(
    slice.map(async (f): Promise<MailSummary> => {
      if (f.size > MAX_EML_BYTES)
        return { file: f.name, subject: "(too large to read)", to: "", date: f.mtime.toISOString() };
      const mail = await parse(f.path);
      return {
        file: f.name,
        subject: mail.subject ?? "(no subject)",
        to: addresses(mail.to),
        date: (mail.date ?? f.mtime).toISOString(),
      };
    }),
  );
  return { rows, total: files.length };
}

/** One message of the outbox folder, or null when the name is unsafe or no such file exists. */
export async function readOutboxFile(
  name: string,
  dir: string = env().OUTBOX_DIR,
): Promise<MailMessage | null> {
  const path = outboxFilePath(dir, name);
  if (!path) return null;
  const stat = await regularFile(path);
  if (!stat || stat.size > MAX_EML_BYTES) return null;
  const mail = await parse(path);
  return {
    file: name,
    subject: mail.subject ?? "(no subject)",
    to: addresses(mail.to),
    from: addresses(mail.from),
    date: (mail.date ?? stat.mtime).toISOString(),
    text: mail.text ?? "",
    html: typeof mail.html === "string" ? mail.html : null,
  };
}
