/** TokPortal's page-number pagination (docs/tokportal-api.md §2): `page` 1-based, `per_page` default 25, max 100. */
export interface Page<T> {
  data: T[];
  pagination: { page: number; per_page: number; total: number; total_pages: number };
}

export function paginate<T>(items: readonly T[], query: Record<string, string | string[]>): Page<T> {
  const page = Math.max(1, Number(first(query.page) ?? 1) || 1);
  const perPage = Math.min(100, Math.max(1, Number(first(query.per_page) ?? 25) || 25));
  const start = (page - 1) * perPage;
  return {
    data: items.slice(start, start + perPage),
    pagination: {
      page,
      per_page: perPage,
      total: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}

/** The first value of a query parameter that may have been repeated. */
export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Every value of a repeatable query parameter (`platform=a&platform=b`). */
export function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
