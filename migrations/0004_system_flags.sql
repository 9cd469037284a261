-- system_flags: the system flags of the flags JSON as a bitmask (\Seen 1, \Answered 2, \Flagged 4,
-- \Deleted 8, \Draft 16). A VIRTUAL generated column, so every existing row has it at once
-- (the backfill) and every write keeps it in step; partial indexes for EXPUNGE and unseen lookups.
ALTER TABLE `mailbox_messages` ADD `system_flags` integer GENERATED ALWAYS AS (1 * (instr(lower(flags), '"\\seen"') > 0) + 2 * (instr(lower(flags), '"\\answered"') > 0) + 4 * (instr(lower(flags), '"\\flagged"') > 0) + 8 * (instr(lower(flags), '"\\deleted"') > 0) + 16 * (instr(lower(flags), '"\\draft"') > 0)) VIRTUAL NOT NULL;--> statement-breakpoint
CREATE INDEX `mailbox_messages_deleted_idx` ON `mailbox_messages` (`mailbox_id`,`uid`) WHERE (system_flags & 8) != 0;--> statement-breakpoint
CREATE INDEX `mailbox_messages_unseen_idx` ON `mailbox_messages` (`mailbox_id`,`uid`) WHERE (system_flags & 1) = 0;