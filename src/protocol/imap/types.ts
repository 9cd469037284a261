// The typed IMAP commands (RFC 9051 §6, RFC 3501 §6 and the extensions we implement) that
// the parser produces and the session executes. Pure data; no I/O.

/** A sequence set (RFC 9051 §9 sequence-set): ranges with `*` as Infinity; or `$` (SEARCHRES, RFC 5182). */
export type SequenceSet = { readonly kind: "set"; readonly ranges: readonly (readonly [number, number])[] } | { readonly kind: "saved" };

/** Mailbox names arrive as astrings; decoding (modified UTF-7 vs UTF-8) is the session's job. */
export type MailboxName = string;

export type FetchSection = {
  /** Part path, e.g. [1, 2] for "1.2"; [] for the whole message. */
  readonly part: readonly number[];
  readonly text: null | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** Upper-cased field names for HEADER.FIELDS(.NOT). */
  readonly fields: readonly string[];
};

export type FetchAttribute =
  | { readonly kind: "FLAGS" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODY" | "BODYSTRUCTURE" | "UID" | "MODSEQ" | "RFC822" | "RFC822.HEADER" | "RFC822.TEXT" }
  | {
      readonly kind: "BODY[]" | "BINARY[]" | "BINARY.SIZE";
      readonly section: FetchSection;
      readonly peek: boolean;
      readonly partial: { readonly offset: number; readonly length: number } | null;
    };

export type SearchKey =
  | { readonly kind: "all" | "answered" | "deleted" | "draft" | "flagged" | "new" | "old" | "recent" | "seen" | "unanswered" | "undeleted" | "undraft" | "unflagged" | "unseen" }
  | { readonly kind: "keyword" | "unkeyword"; readonly flag: string }
  | { readonly kind: "bcc" | "body" | "cc" | "from" | "subject" | "text" | "to"; readonly value: string }
  | { readonly kind: "header"; readonly field: string; readonly value: string }
  | { readonly kind: "before" | "on" | "since" | "sentbefore" | "senton" | "sentsince"; readonly date: string /* YYYY-MM-DD */ }
  | { readonly kind: "larger" | "smaller"; readonly size: number }
  | { readonly kind: "seq"; readonly set: SequenceSet }
  | { readonly kind: "uid"; readonly set: SequenceSet }
  | { readonly kind: "not"; readonly key: SearchKey }
  | { readonly kind: "or"; readonly a: SearchKey; readonly b: SearchKey }
  | { readonly kind: "and"; readonly keys: readonly SearchKey[] }
  /** RFC 7162 §3.1.5; entry.name is the attr-flag of "/flags/<attr-flag>" (e.g. "\\Seen", "$Junk"). */
  | { readonly kind: "modseq"; readonly modseq: bigint | number; readonly entry: { readonly name: string; readonly type: "priv" | "shared" | "all" } | null };

/** ESEARCH RETURN options (RFC 4731 / RFC 9051 §6.4.4); "RETURN ()" arrives as ["ALL"] (RFC 4731 §3.1). */
export type SearchReturn = readonly ("MIN" | "MAX" | "ALL" | "COUNT" | "SAVE")[];

export type StoreAction = { readonly op: "set" | "add" | "remove"; readonly silent: boolean; readonly flags: readonly string[] };

export type ListSelection = readonly ("SUBSCRIBED" | "REMOTE" | "RECURSIVEMATCH" | "SPECIAL-USE")[];
export type ListReturn = readonly ("SUBSCRIBED" | "CHILDREN" | "SPECIAL-USE" | { readonly status: readonly StatusItem[] })[];
export type StatusItem = "MESSAGES" | "UIDNEXT" | "UIDVALIDITY" | "UNSEEN" | "DELETED" | "SIZE" | "RECENT" | "HIGHESTMODSEQ" | "APPENDLIMIT";

export type Command =
  | { readonly name: "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS" | "CHECK" | "CLOSE" | "UNSELECT" | "IDLE" | "NAMESPACE" }
  | { readonly name: "LOGIN"; readonly user: string; readonly password: string }
  | { readonly name: "AUTHENTICATE"; readonly mechanism: string; readonly initial: string | null }
  | { readonly name: "ENABLE"; readonly capabilities: readonly string[] }
  | { readonly name: "ID"; readonly params: Readonly<Record<string, string | null>> | null }
  | { readonly name: "SELECT" | "EXAMINE"; readonly mailbox: MailboxName; readonly condstore: boolean; readonly qresync: { readonly uidValidity: number; readonly modseq: number; readonly knownUids: SequenceSet | null; readonly seqMatch: { readonly seqs: SequenceSet; readonly uids: SequenceSet } | null } | null }
  | { readonly name: "CREATE"; readonly mailbox: MailboxName; readonly specialUse: readonly string[] }
  | { readonly name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"; readonly mailbox: MailboxName }
  | { readonly name: "RENAME"; readonly from: MailboxName; readonly to: MailboxName }
  | { readonly name: "LIST"; readonly reference: string; readonly patterns: readonly string[]; readonly selection: ListSelection; readonly returns: ListReturn; readonly extended: boolean }
  | { readonly name: "LSUB"; readonly reference: string; readonly pattern: string }
  | { readonly name: "STATUS"; readonly mailbox: MailboxName; readonly items: readonly StatusItem[] }
  /**
   * date: ISO 8601 with the client's offset, "YYYY-MM-DDThh:mm:ss+hh:mm". binary: sent as literal8
   * (RFC 3516). utf8: sent as `UTF8 (~{n})` (RFC 6855 §4; binary is then true too).
   */
  | { readonly name: "APPEND"; readonly mailbox: MailboxName; readonly flags: readonly string[]; readonly date: string | null; readonly message: Uint8Array; readonly binary: boolean; readonly utf8: boolean }
  | { readonly name: "EXPUNGE" }
  | { readonly name: "UID EXPUNGE"; readonly set: SequenceSet }
  | { readonly name: "SEARCH"; readonly uid: boolean; readonly charset: string | null; readonly key: SearchKey; readonly returns: SearchReturn | null }
  | { readonly name: "FETCH"; readonly uid: boolean; readonly set: SequenceSet; readonly attributes: readonly FetchAttribute[]; readonly changedSince: number | null; readonly vanished: boolean }
  | { readonly name: "STORE"; readonly uid: boolean; readonly set: SequenceSet; readonly action: StoreAction; readonly unchangedSince: number | null }
  | { readonly name: "COPY" | "MOVE"; readonly uid: boolean; readonly set: SequenceSet; readonly mailbox: MailboxName };

export type CommandName = Command["name"];

/**
 * A parsed line: a tagged command, or an error to send as `<tag or *> <status> <text>`. status is
 * "BAD" for syntax errors, "NO" only for SEARCH with an unsupported CHARSET (text then starts
 * with "[BADCHARSET (UTF-8 US-ASCII)]", RFC 9051 §6.4.4).
 */
export type ParseResult =
  | { readonly ok: true; readonly tag: string; readonly command: Command }
  | { readonly ok: false; readonly tag: string | null; readonly text: string; readonly status: "BAD" | "NO" };
