/**
 * The Google sign-in that `tokportal-sync login` keeps: one file in the user's own config directory
 * (never the project's), readable by its owner only. It is an `authorized_user` credentials file, the
 * format gcloud writes for Application Default Credentials, so the Google auth library loads it as it
 * loads any other credentials file; the extra fields (`account`, `scopes`, `signed_in_at`) are ours and
 * the library ignores them.
 */
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";

/** Overrides the directory (a second sign-in for another project, or a test's own directory). */
export const LOGIN_DIR_ENV = "TOKPORTAL_SYNC_CONFIG_DIR";
export const LOGIN_FILE_NAME = "google-login.json";

export interface StoredLogin {
  type: "authorized_user";
  client_id: string;
  client_secret: string;
  refresh_token: string;
  /** The signed-in account's e-mail, from the id_token; null when Google did not say. */
  account: string | null;
  /** The scopes Google granted. */
  scopes: string[];
  signed_in_at: string;
}

/** `$TOKPORTAL_SYNC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/tokportal-sync`, else `~/.config/tokportal-sync`. */
export function loginDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[LOGIN_DIR_ENV]?.trim();
  if (own) return path.resolve(own);
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || homedir(), ".config");
  return path.join(base, "tokportal-sync");
}

export function loginFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(loginDir(env), LOGIN_FILE_NAME);
}

export async function hasStoredLogin(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  try {
    return (await stat(loginFile(env))).isFile();
  } catch {
    return false;
  }
}

/** The stored login, or null when there is none; a file that is not one is an Error naming it. */
export async function readStoredLogin(env: NodeJS.ProcessEnv = process.env): Promise<StoredLogin | null> {
  const file = loginFile(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`the sign-in file ${file} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  let json: Partial<StoredLogin>;
  try {
    json = JSON.parse(text) as Partial<StoredLogin>;
  } catch {
    throw new Error(`the sign-in file ${file} is not valid JSON`);
  }
  if (
    json?.type !== "authorized_user" ||
    typeof json.client_id !== "string" ||
    typeof json.refresh_token !== "string"
  ) {
    throw new Error(`the sign-in file ${file} is not a tokportal-sync login`);
  }
  return {
    type: "authorized_user",
    client_id: json.client_id,
    client_secret: typeof json.client_secret === "string" ? json.client_secret : "",
    refresh_token: json.refresh_token,
    account: typeof json.account === "string" ? json.account : null,
    scopes: Array.isArray(json.scopes) ? json.scopes.filter((s) => typeof s === "string") : [],
    signed_in_at: typeof json.signed_in_at === "string" ? json.signed_in_at : "",
  };
}

/** Writes the login with mode 0600 in a 0700 directory, replacing any earlier one atomically. */
export async function saveStoredLogin(
  login: StoredLogin,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dir = loginDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = loginFile(env);
  await writeFileAtomic(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** Removes the stored login; false when there was none. */
export async function removeStoredLogin(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = loginFile(env);
  try {
    await stat(file);
  } catch {
    return false;
  }
  await rm(file, { force: true });
  return true;
}
