// Barrel for the drizzle schema (DESIGN §8 allows this one): drizzle-kit reads it to
// generate migrations, and the client passes it to drizzle for typed queries.

export { domains } from "./domains.ts";
export { accounts, aliases } from "./accounts.ts";
export { mailboxes, mailboxMessages } from "./mailboxes.ts";
export { bodies } from "./bodies.ts";
export { queueAttempts, queueMessages, queueRecipients } from "./queue.ts";
export { dkimKeys } from "./dkim.ts";
export { mtaStsPolicies } from "./mta-sts.ts";
export { greylist, rateCounters } from "./trust.ts";
export { traces } from "./traces.ts";
export { expunged, subscriptions } from "./imap.ts";
