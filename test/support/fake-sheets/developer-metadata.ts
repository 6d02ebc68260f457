/**
 * Developer metadata of a fake spreadsheet: the key/value entries `createDeveloperMetadata`,
 * `updateDeveloperMetadata` and `deleteDeveloperMetadata` (requests of `spreadsheets.batchUpdate`) change and
 * `developerMetadata.get` / `developerMetadata.search` read. What it holds to, from the Sheets reference
 * (REST resource `spreadsheets.developerMetadata`, `DataFilter`, `DeveloperMetadataLookup`):
 *
 * - `metadataId` is unique in the spreadsheet and positive; one given on create is kept, else one is drawn.
 *   Creating an id that exists is refused (400), which fails the whole batch (the workbook rolls back).
 * - `metadataKey`, `visibility` and `location` are required on create.
 * - A lookup matches the intersection of the fields it names (id, key, value, visibility, location type,
 *   and a spreadsheet or sheet location matched exactly).
 * - update/delete select by data filters and answer with what they changed (an empty list when nothing
 *   matched); update changes only the fields its `fields` mask names, and never the id.
 *
 * Row and column (dimensionRange) locations are stored but not moved with inserted rows: nothing here uses them.
 */
import { badRequest, SheetsError } from "./errors.ts";

export interface MetadataLocation {
  spreadsheet?: boolean;
  sheetId?: number;
  dimensionRange?: Record<string, unknown>;
}

export interface DeveloperMetadata {
  metadataId: number;
  metadataKey: string;
  metadataValue?: string;
  location: MetadataLocation & { locationType: string };
  visibility: string;
}

interface Lookup {
  metadataId?: number;
  metadataKey?: string;
  metadataValue?: string;
  visibility?: string;
  locationType?: string;
  metadataLocation?: MetadataLocation;
  locationMatchingStrategy?: string;
}

interface DataFilterIn {
  developerMetadataLookup?: Lookup;
  a1Range?: string;
  gridRange?: unknown;
}

const VISIBILITIES = ["DOCUMENT", "PROJECT"];
const MAX_ID = 2_147_483_647;

function locationTypeOf(loc: MetadataLocation): string {
  if (loc.spreadsheet) return "SPREADSHEET";
  if (loc.sheetId !== undefined) return "SHEET";
  const dim = loc.dimensionRange?.dimension;
  if (dim === "ROWS") return "ROW";
  if (dim === "COLUMNS") return "COLUMN";
  return "DEVELOPER_METADATA_LOCATION_TYPE_UNSPECIFIED";
}

export class DeveloperMetadataStore {
  entries = new Map<number, DeveloperMetadata>();
  private seed = 0x5eed;

  constructor(private readonly sheetExists: (sheetId: number) => boolean) {}

  snapshot(): Map<number, DeveloperMetadata> {
    return structuredClone(this.entries);
  }

  restore(saved: Map<number, DeveloperMetadata>): void {
    this.entries = saved;
  }

  get(id: number): DeveloperMetadata {
    const found = this.entries.get(id);
    if (!found) throw new SheetsError(404, "NOT_FOUND", `No developer metadata with ID: ${id}`);
    return structuredClone(found);
  }

  /** `developerMetadata.search`: every entry any filter selects, with the filter that selected it. */
  search(filters: unknown): unknown {
    if (!Array.isArray(filters) || filters.length === 0) throw badRequest("dataFilters must not be empty.");
    const matched: unknown[] = [];
    const seen = new Set<number>();
    filters.forEach((f, i) => {
      for (const m of this.select(f as DataFilterIn, `data_filters[${i}]`)) {
        if (seen.has(m.metadataId)) continue;
        seen.add(m.metadataId);
        matched.push({ developerMetadata: structuredClone(m), dataFilters: [f] });
      }
    });
    // Google leaves empty lists out of its answers.
    return matched.length > 0 ? { matchedDeveloperMetadata: matched } : {};
  }

  /** Handles one batchUpdate request of a metadata kind; undefined for any other kind. */
  request(kind: string, body: Record<string, unknown>, i: number): unknown {
    const where = `requests[${i}].${kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    switch (kind) {
      case "createDeveloperMetadata":
        return { createDeveloperMetadata: { developerMetadata: this.create(body.developerMetadata, where) } };
      case "updateDeveloperMetadata":
        return { updateDeveloperMetadata: { developerMetadata: this.update(body, where) } };
      case "deleteDeveloperMetadata": {
        const gone = this.select(body.dataFilter as DataFilterIn, `${where}.data_filter`);
        for (const m of gone) this.entries.delete(m.metadataId);
        return { deleteDeveloperMetadata: { deletedDeveloperMetadata: gone } };
      }
      default:
        return undefined;
    }
  }

  /** A deleted tab takes its metadata with it. */
  dropSheet(sheetId: number): void {
    for (const [id, m] of this.entries) if (m.location.sheetId === sheetId) this.entries.delete(id);
  }

  private create(input: unknown, where: string): DeveloperMetadata {
    const m = (input ?? {}) as Partial<DeveloperMetadata> & { location?: MetadataLocation };
    if (!m.metadataKey) throw badRequest(`Invalid ${where}: metadataKey is required.`);
    if (!m.visibility || !VISIBILITIES.includes(m.visibility)) {
      throw badRequest(`Invalid ${where}: visibility must be DOCUMENT or PROJECT.`);
    }
    const loc = m.location;
    if (!loc || locationTypeOf(loc) === "DEVELOPER_METADATA_LOCATION_TYPE_UNSPECIFIED") {
      throw badRequest(`Invalid ${where}: a location is required.`);
    }
    if (loc.sheetId !== undefined && !this.sheetExists(loc.sheetId)) {
      throw badRequest(`Invalid ${where}: No grid with id: ${loc.sheetId}`);
    }
    let id = m.metadataId ?? null;
    if (id !== null) {
      if (!Number.isInteger(id) || id <= 0 || id > MAX_ID) {
        throw badRequest(`Invalid ${where}: metadataId must be a positive 32-bit integer.`);
      }
      if (this.entries.has(id)) {
        throw badRequest(`Invalid ${where}: Developer metadata with ID ${id} already exists.`);
      }
    } else {
      do id = this.drawId();
      while (this.entries.has(id));
    }
    const created: DeveloperMetadata = {
      metadataId: id,
      metadataKey: m.metadataKey,
      ...(m.metadataValue !== undefined ? { metadataValue: m.metadataValue } : {}),
      location: { ...loc, locationType: locationTypeOf(loc) },
      visibility: m.visibility,
    };
    this.entries.set(id, created);
    return structuredClone(created);
  }

  private update(body: Record<string, unknown>, where: string): DeveloperMetadata[] {
    const filters = body.dataFilters;
    if (!Array.isArray(filters) || filters.length === 0) {
      throw badRequest(`Invalid ${where}: dataFilters must not be empty.`);
    }
    if (typeof body.fields !== "string" || body.fields.trim() === "") {
      throw badRequest(`Invalid ${where}: fields is required.`);
    }
    const fields = body.fields.split(",").map((f) => f.trim());
    const next = (body.developerMetadata ?? {}) as Partial<DeveloperMetadata>;
    const targets = new Map<number, DeveloperMetadata>();
    filters.forEach((f, i) => {
      for (const m of this.select(f as DataFilterIn, `${where}.data_filters[${i}]`))
        targets.set(m.metadataId, m);
    });
    const out: DeveloperMetadata[] = [];
    for (const target of targets.values()) {
      const stored = this.entries.get(target.metadataId) as DeveloperMetadata;
      for (const field of fields) {
        if (field === "*") throw badRequest(`Invalid ${where}: name the fields to update.`);
        if (field === "metadataId") {
          if (next.metadataId !== undefined && next.metadataId !== stored.metadataId) {
            throw badRequest(`Invalid ${where}: metadataId cannot be changed.`);
          }
        } else if (field === "metadataKey") {
          if (!next.metadataKey) throw badRequest(`Invalid ${where}: metadataKey is required.`);
          stored.metadataKey = next.metadataKey;
        } else if (field === "metadataValue") {
          if (next.metadataValue === undefined) delete stored.metadataValue;
          else stored.metadataValue = next.metadataValue;
        } else if (field === "visibility") {
          if (!next.visibility || !VISIBILITIES.includes(next.visibility)) {
            throw badRequest(`Invalid ${where}: visibility must be DOCUMENT or PROJECT.`);
          }
          stored.visibility = next.visibility;
        } else {
          throw badRequest(`Invalid ${where}: the fake Sheets server does not update ${field}.`);
        }
      }
      out.push(structuredClone(stored));
    }
    return out;
  }

  private select(filter: DataFilterIn | undefined, where: string): DeveloperMetadata[] {
    if (!filter || typeof filter !== "object")
      throw badRequest(`Invalid ${where}: a data filter is required.`);
    if (filter.a1Range !== undefined || filter.gridRange !== undefined) {
      throw badRequest(
        `Invalid ${where}: the fake Sheets server only selects developer metadata by developerMetadataLookup.`,
      );
    }
    const l = filter.developerMetadataLookup;
    if (!l || Object.keys(l).length === 0) throw badRequest(`Invalid ${where}: the lookup is empty.`);
    if (l.locationMatchingStrategy && !l.metadataLocation) {
      throw badRequest(`Invalid ${where}: locationMatchingStrategy needs a metadataLocation.`);
    }
    const out: DeveloperMetadata[] = [];
    for (const m of this.entries.values()) {
      if (l.metadataId !== undefined && m.metadataId !== l.metadataId) continue;
      if (l.metadataKey !== undefined && m.metadataKey !== l.metadataKey) continue;
      if (l.metadataValue !== undefined && (m.metadataValue ?? "") !== l.metadataValue) continue;
      if (l.visibility !== undefined && m.visibility !== l.visibility) continue;
      if (l.locationType !== undefined && m.location.locationType !== l.locationType) continue;
      if (l.metadataLocation) {
        const want = l.metadataLocation;
        if (want.spreadsheet && !m.location.spreadsheet) continue;
        if (want.sheetId !== undefined && m.location.sheetId !== want.sheetId) continue;
      }
      out.push(structuredClone(m));
    }
    return out;
  }

  private drawId(): number {
    // A small deterministic generator: tests see the same ids run after run.
    this.seed = (this.seed * 1_103_515_245 + 12_345) % MAX_ID;
    return this.seed + 1;
  }
}
