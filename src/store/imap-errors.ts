// Typed failures of the IMAP store operations. `code` is the RFC 5530 / RFC 4315 / RFC 6154
// response code the session puts in its tagged NO, so mapping at the boundary is 1:1.

export type ImapStoreErrorCode =
  | "ALREADYEXISTS" // CREATE/RENAME target exists (RFC 5530 §3)
  | "NONEXISTENT" // source mailbox does not exist (RFC 5530 §3)
  | "TRYCREATE" // APPEND/COPY/MOVE target does not exist (RFC 9051 §7.1)
  | "HASCHILDREN" // DELETE of a mailbox with inferiors (RFC 5530 §3)
  | "CANNOT" // invalid name, INBOX deletion, rename under itself (RFC 5530 §3)
  | "USEATTR" // unsupported special-use attribute (RFC 6154 §5.3)
  | "TOOBIG"; // APPEND over the size cap (RFC 4469 §4 / RFC 9051 §7.1)

export class ImapStoreError extends Error {
  readonly code: ImapStoreErrorCode;
  constructor(code: ImapStoreErrorCode, message: string) {
    super(message);
    this.name = "ImapStoreError";
    this.code = code;
  }
}
