/**
 * A configure item as the planner makes it: it refers to its row's desired body instead of holding a copy
 * given the slot's position (at 100,000 rows the copies were 9 MB, as many objects as rows). The position is
 * joined to the body only where an item leaves the process: in the request (`sentItem`) and in JSON (a plan
 * file or `--json` shows `item` with its `position`, as plan files always have).
 */
import type { BatchVideoItem } from "../api/index.ts";
import type { ConfigureVideoItem, DesiredVideo } from "./types.ts";

export class ConfigureEntry implements ConfigureVideoItem {
  constructor(
    readonly rowId: string,
    readonly videoRef: string,
    readonly position: number,
    readonly item: DesiredVideo["body"],
    readonly media: DesiredVideo["media"],
  ) {}

  toJSON(): ConfigureVideoItem {
    const { rowId, videoRef, position, media } = this;
    return { rowId, videoRef, position, item: sentItem(this), media };
  }
}

/** The batch item to send for an entry: its body with the entry's slot position (a fresh object). */
export function sentItem(entry: ConfigureVideoItem): BatchVideoItem {
  return { ...entry.item, position: entry.position };
}
