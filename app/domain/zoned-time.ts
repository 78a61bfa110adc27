/**
 * Wall-clock time in a named time zone ↔ UTC instants, for `<input type="datetime-local">` fields that
 * organisers fill in their edition's time zone. Pure (Intl only), safe in the browser.
 */

/** The value shape of a datetime-local input: "2027-03-05T12:00", seconds optional. */
export const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached wall-clock formatter for `timeZone`; throws a RangeError for an unknown zone. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Spellings come from form input: keep the cache bounded whatever is typed.
    if (formatters.size > 1000) formatters.clear();
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * An IANA time zone name this runtime knows, with its usual capitals ("europe/zurich" → "Europe/Zurich"),
 * or null. The name is otherwise kept as given: ICU would turn "Asia/Kolkata" into the legacy "Asia/Calcutta".
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !TIME_ZONE_NAME.test(name)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  const lower = name.toLowerCase();
  if (resolved.toLowerCase() === lower) return resolved;
  return Intl.supportedValuesOf("timeZone").find((z) => z.toLowerCase() === lower) ?? name;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

function wallClockMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (east positive). */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockMs(wallClockAt(whole, timeZone)) - whole;
}

function parseLocal(local: string): WallClock | null {
  const m = LOCAL_DATETIME.exec(local);
  if (!m) return null;
  const w: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? "0"),
  };
  if (w.hour > 23 || w.minute > 59 || w.second > 59) return null;
  // Date.UTC rolls 30 February over into March: refuse dates that do not exist.
  const check = new Date(wallClockMs(w));
  if (
    check.getUTCFullYear() !== w.year ||
    check.getUTCMonth() !== w.month - 1 ||
    check.getUTCDate() !== w.day
  ) {
    return null;
  }
  return w;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * The UTC instant at which clocks in `timeZone` show `local` ("2027-03-05T12:00"), or null when `local`
 * is not a valid date-time or the zone is unknown. Like Temporal's "compatible" rule: a time skipped by a
 * DST jump is moved forward by the jump (02:30 → 03:30), a time that occurs twice takes the earlier one.
 */
export function zonedLocalToUtc(local: string, timeZone: string): Date | null {
  const wall = parseLocal(local);
  if (!wall || timeZone.length > 64 || !TIME_ZONE_NAME.test(timeZone)) return null;
  try {
    formatter(timeZone);
  } catch {
    return null;
  }
  const wallMs = wallClockMs(wall);
  // Offsets a day either side: a transition (at most one in 48 hours) lies between them, if any.
  const before = offsetAt(wallMs - DAY, timeZone);
  const after = offsetAt(wallMs + DAY, timeZone);
  const candidates = [wallMs - before, wallMs - after].filter((t) => offsetAt(t, timeZone) === wallMs - t);
  if (candidates.length) return new Date(Math.min(...candidates));
  // In a gap: read the wall time with the offset in force before the jump, which lands after it.
  return new Date(wallMs - before);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The datetime-local value ("2027-03-05T12:00", to the minute) that clocks in `timeZone` show at `instant`. */
export function utcToZonedLocal(instant: string | Date, timeZone: string): string {
  const ms = (typeof instant === "string" ? new Date(instant) : instant).getTime();
  if (Number.isNaN(ms)) return "";
  const w = wallClockAt(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}
