/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as aiEndpoints from "../aiEndpoints.js";
import type * as aiRequests from "../aiRequests.js";
import type * as apiKeys from "../apiKeys.js";
import type * as credits from "../credits.js";
import type * as deployments from "../deployments.js";
import type * as files from "../files.js";
import type * as generations from "../generations.js";
import type * as lib_access from "../lib/access.js";
import type * as lib_errors from "../lib/errors.js";
import type * as lib_functions from "../lib/functions.js";
import type * as lib_ledger from "../lib/ledger.js";
import type * as lib_records from "../lib/records.js";
import type * as lib_serverSecret from "../lib/serverSecret.js";
import type * as lib_sha256 from "../lib/sha256.js";
import type * as lib_users from "../lib/users.js";
import type * as lib_validators from "../lib/validators.js";
import type * as localAuth from "../localAuth.js";
import type * as projects from "../projects.js";
import type * as rateLimits from "../rateLimits.js";
import type * as runs from "../runs.js";
import type * as subscriptions from "../subscriptions.js";
import type * as users from "../users.js";
import type * as webhooks from "../webhooks.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  aiEndpoints: typeof aiEndpoints;
  aiRequests: typeof aiRequests;
  apiKeys: typeof apiKeys;
  credits: typeof credits;
  deployments: typeof deployments;
  files: typeof files;
  generations: typeof generations;
  "lib/access": typeof lib_access;
  "lib/errors": typeof lib_errors;
  "lib/functions": typeof lib_functions;
  "lib/ledger": typeof lib_ledger;
  "lib/records": typeof lib_records;
  "lib/serverSecret": typeof lib_serverSecret;
  "lib/sha256": typeof lib_sha256;
  "lib/users": typeof lib_users;
  "lib/validators": typeof lib_validators;
  localAuth: typeof localAuth;
  projects: typeof projects;
  rateLimits: typeof rateLimits;
  runs: typeof runs;
  subscriptions: typeof subscriptions;
  users: typeof users;
  webhooks: typeof webhooks;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
