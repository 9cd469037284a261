// The built-in pipeline, in order (DESIGN §3: explicit registration, no discovery).
// A config's `handlers` array is appended after these; a function may reorder or drop them.

import type { AnyHandler } from "../src/events/handler.ts";
import type { Config } from "../src/config/schema.ts";
import { authPassword } from "./auth-password.ts";
import { authScram } from "./auth-scram.ts";
import { deliveryRoute } from "./delivery-route.ts";
import { localDelivery } from "./local-delivery.ts";
import { resolveAddress } from "./resolve-address.ts";

/** The built-in pipeline for a configuration (trust handlers are switched and tuned by `config.trust`). */
export function defaultHandlers(_config: Config): AnyHandler[] {
  return [resolveAddress, authPassword, authScram, localDelivery, deliveryRoute];
}
