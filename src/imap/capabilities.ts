// The capability list (RFC 9051 §7.2.2): what is advertised before and after login, and
// nothing that is not implemented.

export type CapabilityState = { readonly tls: boolean; readonly startTlsAvailable: boolean; readonly loginAllowed: boolean; readonly authenticated: boolean; readonly appendLimit: number };

const AFTER_LOGIN = [
  "IDLE",
  "UIDPLUS",
  "MOVE",
  "UNSELECT",
  "NAMESPACE",
  "ID",
  "ENABLE",
  "CHILDREN",
  "SPECIAL-USE",
  "CREATE-SPECIAL-USE",
  "LIST-EXTENDED",
  "LIST-STATUS",
  "ESEARCH",
  "SEARCHRES",
  "CONDSTORE",
  "QRESYNC",
  "STATUS=SIZE",
  "UTF8=ACCEPT",
  "BINARY",
];

export function capabilities(s: CapabilityState): string[] {
  // IMAP4rev2 first (RFC 9051 §7.2.2 lists it; rev1 clients still see IMAP4rev1).
  const caps = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"];
  if (!s.authenticated) {
    if (!s.tls && s.startTlsAvailable) caps.push("STARTTLS");
    // RFC 9051 §6.2.3: LOGINDISABLED when LOGIN (and plaintext AUTH) is not allowed.
    if (!s.loginAllowed) caps.push("LOGINDISABLED");
    else caps.push("AUTH=PLAIN", "AUTH=LOGIN", "AUTH=SCRAM-SHA-256");
    return caps;
  }
  for (const c of AFTER_LOGIN) if (!caps.includes(c)) caps.push(c);
  caps.push(`APPENDLIMIT=${s.appendLimit}`);
  return caps;
}
