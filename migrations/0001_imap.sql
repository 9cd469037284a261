CREATE TABLE `expunged` (
	`mailbox_id` integer NOT NULL,
	`uid` integer NOT NULL,
	`modseq` integer NOT NULL,
	PRIMARY KEY(`mailbox_id`, `uid`),
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `expunged_mailbox_modseq_idx` ON `expunged` (`mailbox_id`,`modseq`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `name`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Data: subscriptions were a mailbox column before; carry them over (hand-added, not schema).
INSERT OR IGNORE INTO `subscriptions` (`account_id`, `name`, `created_at`) SELECT `account_id`, `name`, `created_at` FROM `mailboxes` WHERE `subscribed` = 1;
