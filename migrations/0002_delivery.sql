CREATE TABLE `dkim_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`domain` text NOT NULL,
	`selector` text NOT NULL,
	`algorithm` text NOT NULL,
	`private_key` text NOT NULL,
	`public_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dkim_keys_domain_selector_idx` ON `dkim_keys` (`domain`,`selector`);--> statement-breakpoint
CREATE TABLE `mta_sts_policies` (
	`domain` text PRIMARY KEY NOT NULL,
	`policy_id` text NOT NULL,
	`mode` text NOT NULL,
	`mx` text NOT NULL,
	`max_age` integer NOT NULL,
	`fetched_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `queue_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`recipient_id` integer NOT NULL,
	`queue_id` text NOT NULL,
	`at` integer NOT NULL,
	`host` text,
	`outcome` text NOT NULL,
	`reply` text NOT NULL,
	FOREIGN KEY (`recipient_id`) REFERENCES `queue_recipients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `queue_attempts_queue_idx` ON `queue_attempts` (`queue_id`);--> statement-breakpoint
CREATE INDEX `queue_attempts_recipient_idx` ON `queue_attempts` (`recipient_id`);--> statement-breakpoint
ALTER TABLE `queue_messages` ADD `held` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `queue_messages` ADD `expires_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `queue_recipients` ADD `domain` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `queue_recipients` ADD `last_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `queue_recipients` ADD `last_status` text;--> statement-breakpoint
ALTER TABLE `queue_recipients` ADD `remote_mta` text;--> statement-breakpoint
ALTER TABLE `queue_recipients` ADD `delay_notified` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `queue_recipients_domain_idx` ON `queue_recipients` (`domain`);