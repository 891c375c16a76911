import type { RoleName } from "../types";
import { ARCHITECT_PROMPT } from "./architect";
import { AUDITOR_PROMPT } from "./auditor";
import { BACKEND_PROMPT } from "./backend";
import { DEVOPS_PROMPT } from "./devops";
import { EDITOR_PROMPT } from "./editor";
import { FIXER_PROMPT } from "./fixer";
import { FRONTEND_PROMPT } from "./frontend";
import { OUTPUT_PROTOCOL } from "./protocol";
import { TESTER_PROMPT } from "./tester";

const ROLE_PROMPTS: Record<RoleName, string> = {
  architect: ARCHITECT_PROMPT,
  backend: BACKEND_PROMPT,
  frontend: FRONTEND_PROMPT,
  devops: DEVOPS_PROMPT,
  security: AUDITOR_PROMPT,
  tester: TESTER_PROMPT,
  fixer: FIXER_PROMPT,
  editor: EDITOR_PROMPT,
};

/**
 * The system prompt of a role. The first line, `ROLE: <name>`, names the role
 * for logs and for the scripted test server, which picks its transcript by it.
 * Every role but the architect (who answers JSON) gets the output protocol.
 */
export function systemPrompt(role: RoleName): string {
  const parts = [`ROLE: ${role}`, ROLE_PROMPTS[role]];
  if (role !== "architect") parts.push(OUTPUT_PROTOCOL);
  return parts.join("\n\n");
}
