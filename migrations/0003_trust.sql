CREATE TABLE `greylist` (
	`key` text PRIMARY KEY NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`passed_at` integer,
	`blocked` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `greylist_last_seen_idx` ON `greylist` (`last_seen`);--> statement-breakpoint
CREATE TABLE `rate_counters` (
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`key`, `window_start`)
);
--> statement-breakpoint
CREATE INDEX `rate_counters_window_idx` ON `rate_counters` (`window_start`);