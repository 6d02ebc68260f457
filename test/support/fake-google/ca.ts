/**
 * A throwaway certificate authority, made by the test itself with the `openssl` binary, and one server
 * certificate it signs for Google's hosts. A child process trusts the authority through
 * `NODE_EXTRA_CA_CERTS` (read at process start), the way a corporate network's TLS-inspecting proxy is
 * trusted; nothing else ever trusts it, and the directory is deleted with the test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TestCa {
  /** The authority's certificate file: the value of NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** PEM of the leaf certificate and its key, for the proxy's TLS side. */
  cert: string;
  key: string;
  dispose(): void;
}

export const GOOGLE_HOSTS = [
  "oauth2.googleapis.com",
  "sts.googleapis.com",
  "iamcredentials.googleapis.com",
  "sheets.googleapis.com",
  "accounts.google.com",
  "www.googleapis.com",
] as const;

export function createTestCa(hosts: readonly string[] = GOOGLE_HOSTS): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), "fake-google-ca-"));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=tokportal-sync test CA",
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
  );
  writeFileSync(
    at("leaf.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
    ].join("\n"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${hosts[0]}`,
    "-keyout",
    at("leaf.key"),
    "-out",
    at("leaf.csr"),
  );
  openssl(
    "x509",
    "-req",
    "-in",
    at("leaf.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    at("leaf.ext"),
    "-out",
    at("leaf.pem"),
  );
  return {
    caFile: at("ca.pem"),
    cert: readFileSync(at("leaf.pem"), "utf8"),
    key: readFileSync(at("leaf.key"), "utf8"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
