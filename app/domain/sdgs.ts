/** The Sustainable Development Goals and the Global Digital Compact objectives a project links to (DESIGN §3). */

export interface NumberedGoal {
  number: number;
  name: string;
}

/** The 17 Sustainable Development Goals, in order. */
export const SDGS: readonly NumberedGoal[] = [
  { number: 1, name: "No poverty" },
  { number: 2, name: "Zero hunger" },
  { number: 3, name: "Good health and well-being" },
  { number: 4, name: "Quality education" },
  { number: 5, name: "Gender equality" },
  { number: 6, name: "Clean water and sanitation" },
  { number: 7, name: "Affordable and clean energy" },
  { number: 8, name: "Decent work and economic growth" },
  { number: 9, name: "Industry, innovation and infrastructure" },
  { number: 10, name: "Reduced inequalities" },
  { number: 11, name: "Sustainable cities and communities" },
  { number: 12, name: "Responsible consumption and production" },
  { number: 13, name: "Climate action" },
  { number: 14, name: "Life below water" },
  { number: 15, name: "Life on land" },
  { number: 16, name: "Peace, justice and strong institutions" },
  { number: 17, name: "Partnerships for the goals" },
];

/** The five objectives of the Global Digital Compact (2024), in order. */
export const GDC_OBJECTIVES: readonly NumberedGoal[] = [
  {
    number: 1,
    name: "Close all digital divides and accelerate progress across the Sustainable Development Goals",
  },
  { number: 2, name: "Expand inclusion in and benefits from the digital economy for all" },
  {
    number: 3,
    name: "Foster an inclusive, open, safe and secure digital space that respects, protects and promotes human rights",
  },
  { number: 4, name: "Advance responsible, equitable and interoperable data governance approaches" },
  {
    number: 5,
    name: "Enhance international governance of artificial intelligence for the benefit of humanity",
  },
];

/** Parses a stored comma-separated list ("1,4,17") into numbers; ignores anything that is not a number. */
export function parseNumberList(stored: string): number[] {
  return stored
    .split(",")
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** The stored form of a list of goal numbers: sorted, without repeats, comma-separated. */
export function formatNumberList(numbers: readonly number[]): string {
  return [...new Set(numbers)].sort((a, b) => a - b).join(",");
}
