// Typed store failures (DESIGN §8): expected outcomes callers map to replies or HTTP
// statuses by `code`, instead of parsing SQLite messages.

export type StoreErrorCode =
  | "INVALID_DOMAIN"
  | "INVALID_ADDRESS"
  | "DOMAIN_EXISTS"
  | "DOMAIN_NOT_FOUND"
  | "DOMAIN_IN_USE"
  | "ACCOUNT_EXISTS"
  | "ALIAS_EXISTS"
  | "INVALID_MAILBOX"
  | "MAILBOX_EXISTS";

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = "StoreError";
    this.code = code;
  }
}

/** True for a libsql error caused by a UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(e: unknown): boolean {
  const x = e as { code?: unknown; extendedCode?: unknown; message?: unknown } | null;
  if (x?.extendedCode === "SQLITE_CONSTRAINT_UNIQUE" || x?.extendedCode === "SQLITE_CONSTRAINT_PRIMARYKEY") return true;
  return typeof x?.message === "string" && /UNIQUE constraint failed/.test(x.message);
}

/** True for a libsql error caused by a FOREIGN KEY constraint. */
export function isForeignKeyViolation(e: unknown): boolean {
  const x = e as { extendedCode?: unknown; message?: unknown } | null;
  if (x?.extendedCode === "SQLITE_CONSTRAINT_FOREIGNKEY") return true;
  return typeof x?.message === "string" && /FOREIGN KEY constraint failed/.test(x.message);
}
