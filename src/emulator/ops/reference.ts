/** Reference data: who am I, where accounts can be ordered, on which platforms, at what price. */
import type { OpTable } from "../context.ts";
import { CREDIT_COSTS } from "../prices.ts";
import { COUNTRY_ALIASES, type Country, OPEN_COUNTRIES, VIDEOS_ONLY_COUNTRIES } from "./countries.ts";

/**
 * `data` lists every code accepted for new accounts, aliases (`US`, `GB`) included, from the same table
 * the bundle handlers check (countries.ts), so the sandbox never advertises a country it would refuse.
 */
function listedCountries(): Country[] {
  const out: Country[] = [];
  for (const c of OPEN_COUNTRIES) {
    out.push(c);
    for (const [alias, canonical] of Object.entries(COUNTRY_ALIASES)) {
      if (canonical === c.code) out.push({ code: alias, name: c.name });
    }
  }
  return out;
}

export const PLATFORMS = [
  {
    id: "tiktok",
    name: "TikTok",
    orderable: true,
    features: ["account_creation", "videos", "carousels", "stories", "sound_volume", "advanced_warming"],
  },
  {
    id: "instagram",
    name: "Instagram",
    orderable: true,
    features: [
      "account_creation",
      "reels",
      "posts",
      "carousels",
      "stories",
      "collaborators",
      "advanced_warming",
    ],
  },
  // Priced but refused by POST /bundles with YOUTUBE_DELAYED (docs/tokportal-api.md §6).
  { id: "youtube", name: "YouTube", orderable: false, features: [] },
] as const;

export const referenceOps: OpTable = {
  getCurrentUser(_req, ctx) {
    const ws = ctx.workspace;
    return {
      body: {
        data: {
          id: ws.id,
          email: ws.email,
          full_name: null,
          company_name: ws.company_name,
          role: "owner",
          country: null,
          credits: { balance: ws.credits },
          subscription: { plan_tier: ws.plan_tier },
          api_key: ctx.apiKey ? { id: ctx.apiKey.id, name: ctx.apiKey.name } : null,
        },
      },
    };
  },

  listCountries() {
    return { body: { data: listedCountries(), videos_only_countries: VIDEOS_ONLY_COUNTRIES } };
  },

  listPlatforms() {
    return { body: { data: PLATFORMS } };
  },

  getCreditCosts() {
    return {
      body: { data: { currency: "credits", costs: { ...CREDIT_COSTS }, contract_bundle_allowance: null } },
    };
  },
};
