// AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959): PLAIN, LOGIN, SCRAM-SHA-256 from
// src/protocol/sasl, continuation "+ base64", "*" to cancel.

import type { Executor } from "../dispatch.ts";
import { createSasl, type SaslStep } from "../../protocol/sasl/mod.ts";
import { decodeBase64Strict } from "../../protocol/sasl/base64.ts";
import { failed, loggedIn, scope, sessionInfo, verifyPassword } from "../auth.ts";

const b64 = (d: Uint8Array) => btoa(String.fromCharCode(...d));
const SASL_WAIT_MS = 60_000;

export const authenticate: Executor<{ name: "AUTHENTICATE"; mechanism: string; initial: string | null }> = async (s, tag, cmd, conn) => {
  if (!conn.loginAllowed) return s.tagged(tag, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
  const server = createSasl(cmd.mechanism);
  if (!server) return s.tagged(tag, "NO", "[CANNOT] Unsupported authentication mechanism");
  let initial: Uint8Array | null = null;
  if (cmd.initial !== null) {
    initial = cmd.initial === "" || cmd.initial === "=" ? new Uint8Array(0) : decodeBase64Strict(cmd.initial);
    if (!initial) return s.tagged(tag, "BAD", "Invalid base64 in initial response");
  }
  let step: SaslStep = server.start(initial);
  let username: string | null = null;
  // The name the client tried, for auth.failed (the authenticated address is `username`).
  let authcid = "";
  let finalData: Uint8Array | null = null;
  for (;;) {
    switch (step.type) {
      case "challenge":
      case "success": {
        if (step.type === "success") {
          username ??= step.authcid;
          // RFC 9051 §6.2.2: success data goes in one more continuation, answered by an empty line.
          if (!step.data || step.data.length === 0 || finalData) return loggedIn(s, conn, tag, server.mechanism, username);
          finalData = step.data;
        }
        await s.line(`+ ${b64(step.type === "challenge" ? step.data : finalData!)}`);
        const line = await conn.readRawLine(SASL_WAIT_MS);
        if (line === null) {
          s.state = "logout";
          return;
        }
        if (line === "*") return s.tagged(tag, "BAD", "Authentication cancelled");
        const data = decodeBase64Strict(line);
        if (!data) return s.tagged(tag, "BAD", "Invalid base64 in response");
        if (step.type === "success") {
          if (data.length !== 0) return failed(s, conn, tag, server.mechanism, authcid);
          return loggedIn(s, conn, tag, server.mechanism, username!);
        }
        step = server.respond(data);
        break;
      }
      case "verify-password": {
        authcid = step.authcid;
        const address = await verifyPassword(s, server.mechanism, step.authcid, step.password);
        username = address;
        step = server.passwordResult(address !== null);
        break;
      }
      case "need-scram": {
        authcid = step.authcid;
        const creds = await s.deps.bus.provide("auth.scram", { session: sessionInfo(s), username: step.authcid }, scope(s));
        if (creds) username = creds.address;
        step = server.scramCredentials(creds);
        break;
      }
      case "failure":
        if (step.reason === "aborted") return s.tagged(tag, "BAD", "Authentication cancelled");
        if (step.reason === "malformed") return s.tagged(tag, "BAD", "Malformed authentication data");
        return failed(s, conn, tag, server.mechanism, authcid);
    }
  }
};
