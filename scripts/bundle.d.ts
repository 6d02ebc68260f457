/** Types of scripts/bundle.js (plain JavaScript: `npm ci` runs it before anything is built). */
import type { BuildOptions } from "esbuild";

export declare const EXTERNAL: string[];
export declare function bundleOptions(o: {
  entryPoints: Record<string, string>;
  outdir: string;
}): BuildOptions;
