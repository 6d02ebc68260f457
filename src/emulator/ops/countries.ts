/**
 * Countries the simulated service accepts (docs/tokportal-api.md §6). `GET /countries` and the bundle handlers both
 * read this table, so what the sandbox advertises is exactly what it accepts.
 */
export interface Country {
  code: string;
  name: string;
}

/** Open for new accounts (account_only / account_and_videos). */
export const OPEN_COUNTRIES: readonly Country[] = [
  { code: "USA", name: "United States" },
  { code: "UK", name: "United Kingdom" },
  { code: "FR", name: "France" },
  { code: "CA", name: "Canada" },
  { code: "IT", name: "Italy" },
  { code: "PH", name: "Philippines" },
  { code: "ES", name: "Spain" },
  { code: "AU", name: "Australia" },
];

/** Allowed only for video work on accounts that already exist. */
export const VIDEOS_ONLY_COUNTRIES: readonly Country[] = [{ code: "DE", name: "Germany" }];

/** Input aliases TokPortal accepts for the canonical codes. */
export const COUNTRY_ALIASES: Readonly<Record<string, string>> = { US: "USA", GB: "UK" };

/** The canonical code for user input (case-insensitive, aliases resolved), whether or not it is open. */
export function canonicalCountry(input: string): string {
  const upper = input.trim().toUpperCase();
  return COUNTRY_ALIASES[upper] ?? upper;
}

export function isOpenForNewAccounts(code: string): boolean {
  const canonical = canonicalCountry(code);
  return OPEN_COUNTRIES.some((c) => c.code === canonical);
}
