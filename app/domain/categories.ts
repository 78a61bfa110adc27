/** The 18 WSIS Action Line categories (DESIGN §2). Codes are stable identifiers; names are display text. */
export const CATEGORIES: ReadonlyArray<{ code: string; name: string }> = [
  {
    code: "C1",
    name: "The role of public governance authorities and all stakeholders in the promotion of ICTs for development",
  },
  { code: "C2", name: "Information and communication infrastructure" },
  { code: "C3", name: "Access to information and knowledge" },
  { code: "C4", name: "Capacity building" },
  { code: "C5", name: "Building confidence and security in the use of ICTs" },
  { code: "C6", name: "Enabling environment" },
  { code: "C7-EGOV", name: "ICT applications: E-government" },
  { code: "C7-EBUS", name: "ICT applications: E-business" },
  { code: "C7-ELEARN", name: "ICT applications: E-learning" },
  { code: "C7-EHEALTH", name: "ICT applications: E-health" },
  { code: "C7-EEMPLOY", name: "ICT applications: E-employment" },
  { code: "C7-EENV", name: "ICT applications: E-environment" },
  { code: "C7-EAGRI", name: "ICT applications: E-agriculture" },
  { code: "C7-ESCI", name: "ICT applications: E-science" },
  { code: "C8", name: "Cultural diversity and identity, linguistic diversity and local content" },
  { code: "C9", name: "Media" },
  { code: "C10", name: "Ethical dimensions of the Information Society" },
  { code: "C11", name: "International and regional cooperation" },
];
