// Shapes of the MIME structure parsed once at delivery and stored as JSON beside the message,
// so that IMAP FETCH (ENVELOPE, BODYSTRUCTURE, BODY[section], BINARY) never re-parses (DESIGN §4).
// Every offset is a byte index into the raw message, half-open [start, end).

/** Caps from DESIGN §5: hitting one stops parsing deeper and sets `truncated`, never throws. */
export type MimeLimits = {
  /** Levels below the root; each multipart child or encapsulated message adds one. */
  maxDepth: number;
  /** MimePart objects in total, root and encapsulated messages included. */
  maxParts: number;
  /** Bytes of one header block that are interpreted; later fields are ignored. */
  maxHeaderBytes: number;
};

/** RFC 2045 §5: type and subtype lower-cased; parameter names lower-cased, values decoded. */
export type ContentType = { type: string; subtype: string; params: Record<string, string> };

/** RFC 2183: value lower-cased ("inline", "attachment", ...). */
export type Disposition = { value: string; params: Record<string, string> };

/**
 * One address of an envelope list, IMAP style (RFC 3501 §7.4.2, RFC 9051 §7.5.2):
 * `host === null` marks group syntax — `mailbox` non-null starts a group (the group name),
 * `mailbox === null` ends it. An address with no domain has `host === ""`.
 * `name` is the display name with RFC 2047 encoded words decoded.
 */
export type Address = { name: string | null; mailbox: string | null; host: string | null };

/**
 * The IMAP ENVELOPE. date, subject, inReplyTo and messageId are the unfolded header values as
 * written (IMAP sends them verbatim). sender and replyTo default to from (RFC 3501 §7.4.2).
 */
export type Envelope = {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
};

/**
 * One MIME entity. BODY[HEADER] / BODY[n.MIME] is raw[headerStart, bodyStart) — it includes
 * the delimiting blank line; raw[headerStart, headerEnd) holds the header fields only.
 * BODY[TEXT] / BODY[n] is raw[bodyStart, bodyEnd).
 */
export type MimePart = {
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  contentType: ContentType;
  disposition: Disposition | null;
  /** Content-ID, Content-Description, Content-MD5: unfolded, as written. */
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding lower-cased; "7bit" when absent (RFC 2045 §6.1). */
  encoding: string;
  language: string[] | null;
  location: string | null;
  md5: string | null;
  /** LF count of the body, plus one for a final line without a line end. */
  lines: number;
  /** Body octets: bodyEnd - bodyStart. */
  size: number;
  /** Present exactly when contentType.type is "multipart"; may be empty (no boundary found). */
  parts?: MimePart[];
  /**
   * Present for message/rfc822 and message/global with an identity encoding (7bit, 8bit,
   * binary) within the limits; otherwise the part must be served as a basic body.
   */
  message?: { envelope: Envelope; part: MimePart };
};

export type ParsedMessage = {
  root: MimePart;
  envelope: Envelope;
  /** The first <msg-id> of Message-ID, angle brackets included; else the trimmed value. */
  messageId: string | null;
  /** Subject with RFC 2047 encoded words decoded. */
  subject: string | null;
  /** Date header as an ISO 8601 UTC instant, null when absent or unparseable. */
  date: string | null;
  /** True when a limit stopped parsing deeper. */
  truncated: boolean;
};

/** An unfolded header field with the byte range of its raw lines (line ends included). */
export type HeaderField = { name: string; value: string; start: number; end: number };
