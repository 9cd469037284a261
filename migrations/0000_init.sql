CREATE TABLE `accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`address` text NOT NULL,
	`domain_id` integer NOT NULL,
	`password_hash` text NOT NULL,
	`scram_sha256` text,
	`disabled` integer DEFAULT false NOT NULL,
	`uidvalidity_last` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_address_unique` ON `accounts` (`address`);--> statement-breakpoint
CREATE TABLE `aliases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`destination` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `aliases_destination_idx` ON `aliases` (`destination`);--> statement-breakpoint
CREATE UNIQUE INDEX `aliases_source_destination_unique` ON `aliases` (`source`,`destination`);--> statement-breakpoint
CREATE TABLE `bodies` (
	`hash` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`content` blob NOT NULL,
	`mime` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `domains` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domains_name_unique` ON `domains` (`name`);--> statement-breakpoint
CREATE TABLE `mailbox_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`mailbox_id` integer NOT NULL,
	`uid` integer NOT NULL,
	`body_hash` text NOT NULL,
	`flags` text DEFAULT '[]' NOT NULL,
	`modseq` integer NOT NULL,
	`internal_date` integer NOT NULL,
	`size` integer NOT NULL,
	`queue_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`body_hash`) REFERENCES `bodies`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mailbox_messages_mailbox_modseq_idx` ON `mailbox_messages` (`mailbox_id`,`modseq`);--> statement-breakpoint
CREATE INDEX `mailbox_messages_body_idx` ON `mailbox_messages` (`body_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `mailbox_messages_mailbox_uid_unique` ON `mailbox_messages` (`mailbox_id`,`uid`);--> statement-breakpoint
CREATE TABLE `mailboxes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	`special_use` text,
	`uidvalidity` integer NOT NULL,
	`uid_next` integer DEFAULT 1 NOT NULL,
	`highest_modseq` integer DEFAULT 1 NOT NULL,
	`subscribed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mailboxes_account_name_unique` ON `mailboxes` (`account_id`,`name`);--> statement-breakpoint
CREATE TABLE `queue_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`body_hash` text NOT NULL,
	`mail_from` text NOT NULL,
	`envid` text,
	`ret` text,
	`requiretls` integer DEFAULT false NOT NULL,
	`smtputf8` integer DEFAULT false NOT NULL,
	`body_type` text,
	`auth_user` text,
	`client_ip` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`body_hash`) REFERENCES `bodies`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `queue_recipients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`queue_id` text NOT NULL,
	`address` text NOT NULL,
	`orcpt` text,
	`notify` text,
	`state` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_reply` text,
	`lease_owner` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`queue_id`) REFERENCES `queue_messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `queue_recipients_queue_idx` ON `queue_recipients` (`queue_id`);--> statement-breakpoint
CREATE INDEX `queue_recipients_due_idx` ON `queue_recipients` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `traces` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`transaction_id` text NOT NULL,
	`message_id` text,
	`session_id` text NOT NULL,
	`event` text NOT NULL,
	`handler` text NOT NULL,
	`verdict` text NOT NULL,
	`code` integer,
	`enhanced` text,
	`text` text,
	`duration_ms` real NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `traces_transaction_idx` ON `traces` (`transaction_id`);--> statement-breakpoint
CREATE INDEX `traces_message_idx` ON `traces` (`message_id`);