/**
 * The credentials files a user would have, made for the fake Google (server.ts) of a harness (harness.ts):
 * a service-account key, the sign-in `tokportal-sync login` saves, gcloud's application-default file.
 */
import { generateKeyPairSync } from "node:crypto";
import type { fakeGoogleHarness } from "./harness.ts";

type Harness = ReturnType<typeof fakeGoogleHarness>;

export const SA = "sync@demo.iam.gserviceaccount.com";
export const ME = "ana@agency.example";
export const CLIENT_ID = "123-desktop.apps.googleusercontent.com";
export const CLIENT_SECRET = "GOCSPX-fake-client-secret";
export const SHEETS = "https://www.googleapis.com/auth/spreadsheets";
export const CLOUD = "https://www.googleapis.com/auth/cloud-platform";

/** A service-account key file's JSON, and the public key the fake token endpoint checks its JWTs with. */
export function serviceAccountKey(email: string): { json: Record<string, string>; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    json: {
      type: "service_account",
      project_id: "demo",
      private_key_id: "k1",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: email,
      client_id: "1",
      token_uri: "https://oauth2.googleapis.com/token",
    },
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A sign-in saved as `login` saves it, without going through the browser; returns its refresh token. */
export function storedLogin(h: Harness, identity: string, scopes = [SHEETS, "openid", "email"]): string {
  h.google().addClient(CLIENT_ID, CLIENT_SECRET);
  const refresh = h.google().issueRefreshToken(CLIENT_ID, identity, scopes);
  h.file("login/google-login.json", {
    type: "authorized_user",
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: refresh,
    account: identity,
    scopes,
    signed_in_at: "2026-09-01T00:00:00.000Z",
  });
  return refresh;
}

/** What `gcloud auth application-default login` leaves behind (no e-mail in it). */
export function gcloudAdc(h: Harness, identity: string, scopes = [SHEETS, CLOUD]): Record<string, string> {
  h.google().addClient(CLIENT_ID, CLIENT_SECRET);
  const json = {
    type: "authorized_user",
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    refresh_token: h.google().issueRefreshToken(CLIENT_ID, identity, scopes),
  };
  h.file("home/.config/gcloud/application_default_credentials.json", json);
  return json;
}
