/**
 * Country codes as people write them and as TokPortal stores them. TokPortal keeps its own codes (`USA`,
 * `UK`, otherwise mostly ISO alpha-2 such as `FR`) and accepts the aliases `US` and `GB` on input
 * (docs/tokportal-api.md §6), so a sheet's `US`, `us` or `USA` must all name the bundle TokPortal stores as
 * `USA`. Every code is reduced to one key (ISO 3166-1 alpha-2) for comparing, and to TokPortal's code for
 * sending.
 */

/** ISO 3166-1 alpha-2 and alpha-3 pairs, "AA AAA" separated by commas (the standard's officially assigned codes). */
const ISO_PAIRS =
  "AD AND,AE ARE,AF AFG,AG ATG,AI AIA,AL ALB,AM ARM,AO AGO,AQ ATA,AR ARG,AS ASM,AT AUT,AU AUS,AW ABW,AX ALA," +
  "AZ AZE,BA BIH,BB BRB,BD BGD,BE BEL,BF BFA,BG BGR,BH BHR,BI BDI,BJ BEN,BL BLM,BM BMU,BN BRN,BO BOL,BQ BES," +
  "BR BRA,BS BHS,BT BTN,BV BVT,BW BWA,BY BLR,BZ BLZ,CA CAN,CC CCK,CD COD,CF CAF,CG COG,CH CHE,CI CIV,CK COK," +
  "CL CHL,CM CMR,CN CHN,CO COL,CR CRI,CU CUB,CV CPV,CW CUW,CX CXR,CY CYP,CZ CZE,DE DEU,DJ DJI,DK DNK,DM DMA," +
  "DO DOM,DZ DZA,EC ECU,EE EST,EG EGY,EH ESH,ER ERI,ES ESP,ET ETH,FI FIN,FJ FJI,FK FLK,FM FSM,FO FRO,FR FRA," +
  "GA GAB,GB GBR,GD GRD,GE GEO,GF GUF,GG GGY,GH GHA,GI GIB,GL GRL,GM GMB,GN GIN,GP GLP,GQ GNQ,GR GRC,GS SGS," +
  "GT GTM,GU GUM,GW GNB,GY GUY,HK HKG,HM HMD,HN HND,HR HRV,HT HTI,HU HUN,ID IDN,IE IRL,IL ISR,IM IMN,IN IND," +
  "IO IOT,IQ IRQ,IR IRN,IS ISL,IT ITA,JE JEY,JM JAM,JO JOR,JP JPN,KE KEN,KG KGZ,KH KHM,KI KIR,KM COM,KN KNA," +
  "KP PRK,KR KOR,KW KWT,KY CYM,KZ KAZ,LA LAO,LB LBN,LC LCA,LI LIE,LK LKA,LR LBR,LS LSO,LT LTU,LU LUX,LV LVA," +
  "LY LBY,MA MAR,MC MCO,MD MDA,ME MNE,MF MAF,MG MDG,MH MHL,MK MKD,ML MLI,MM MMR,MN MNG,MO MAC,MP MNP,MQ MTQ," +
  "MR MRT,MS MSR,MT MLT,MU MUS,MV MDV,MW MWI,MX MEX,MY MYS,MZ MOZ,NA NAM,NC NCL,NE NER,NF NFK,NG NGA,NI NIC," +
  "NL NLD,NO NOR,NP NPL,NR NRU,NU NIU,NZ NZL,OM OMN,PA PAN,PE PER,PF PYF,PG PNG,PH PHL,PK PAK,PL POL,PM SPM," +
  "PN PCN,PR PRI,PS PSE,PT PRT,PW PLW,PY PRY,QA QAT,RE REU,RO ROU,RS SRB,RU RUS,RW RWA,SA SAU,SB SLB,SC SYC," +
  "SD SDN,SE SWE,SG SGP,SH SHN,SI SVN,SJ SJM,SK SVK,SL SLE,SM SMR,SN SEN,SO SOM,SR SUR,SS SSD,ST STP,SV SLV," +
  "SX SXM,SY SYR,SZ SWZ,TC TCA,TD TCD,TF ATF,TG TGO,TH THA,TJ TJK,TK TKL,TL TLS,TM TKM,TN TUN,TO TON,TR TUR," +
  "TT TTO,TV TUV,TW TWN,TZ TZA,UA UKR,UG UGA,UM UMI,US USA,UY URY,UZ UZB,VA VAT,VC VCT,VE VEN,VG VGB,VI VIR," +
  "VN VNM,VU VUT,WF WLF,WS WSM,YE YEM,YT MYT,ZA ZAF,ZM ZMB,ZW ZWE";

const ALPHA2 = new Set<string>();
const ALPHA3_TO_2 = new Map<string, string>();
for (const pair of ISO_PAIRS.split(",")) {
  const [a2, a3] = pair.split(" ") as [string, string];
  ALPHA2.add(a2);
  ALPHA3_TO_2.set(a3, a2);
}

/**
 * TokPortal's own codes that are not the ISO alpha-2 code of their country (`UK` is reserved in ISO, so it
 * cannot clash), and the code TokPortal stores for each key when it is not the alpha-2 itself.
 */
const TOKPORTAL_TO_KEY: Readonly<Record<string, string>> = { USA: "US", UK: "GB" };
const KEY_TO_TOKPORTAL: Readonly<Record<string, string>> = { US: "USA", GB: "UK" };

/**
 * The key a country code compares by (ISO alpha-2), whatever its case or form: ISO alpha-2, ISO alpha-3 or
 * TokPortal's own code. Null for a code none of them knows.
 */
export function countryKey(code: string): string | null {
  const upper = code.trim().toUpperCase();
  const own = TOKPORTAL_TO_KEY[upper];
  if (own) return own;
  if (upper.length === 2 && ALPHA2.has(upper)) return upper;
  if (upper.length === 3) return ALPHA3_TO_2.get(upper) ?? null;
  return null;
}

/** Whether two codes name the same country (an unknown code only equals itself, ignoring case). */
export function sameCountry(a: string, b: string): boolean {
  const ka = countryKey(a);
  const kb = countryKey(b);
  return ka !== null && kb !== null ? ka === kb : a.trim().toUpperCase() === b.trim().toUpperCase();
}

/**
 * The code to send TokPortal for what the sheet says: TokPortal's own code when it has one for the
 * country, else the ISO alpha-2 code; an unknown code is sent as written (upper case), for TokPortal to judge.
 */
export function tokportalCountry(code: string): string {
  const key = countryKey(code);
  if (key === null) return code.trim().toUpperCase();
  return KEY_TO_TOKPORTAL[key] ?? key;
}

/** Every country as TokPortal writes it (its own code, else ISO alpha-2), sorted: the list a sheet can offer. */
export function tokportalCountryCodes(): string[] {
  return [...ALPHA2].map((key) => KEY_TO_TOKPORTAL[key] ?? key).sort();
}
