/** Types of bin/build-stamp.js (plain JavaScript: the bin runs before anything is built). */
export declare const STAMP_FILE: string;
export declare const BUNDLE_FILE: string;
export declare function newestSourceChange(root: string): number | null;
export declare function buildState(root: string): "current" | "missing" | "stale";
