// The built-in pipeline, in order (DESIGN §3: explicit registration, no discovery).
// A config's `handlers` array is appended after these; a function may reorder or drop them.

import type { AnyHandler } from "../src/events/handler.ts";
import { authPassword } from "./auth-password.ts";
import { authScram } from "./auth-scram.ts";
import { deliveryRoute } from "./delivery-route.ts";
import { localDelivery } from "./local-delivery.ts";
import { resolveAddress } from "./resolve-address.ts";

export const defaultHandlers: AnyHandler[] = [resolveAddress, authPassword, authScram, localDelivery, deliveryRoute];
