import type { StreamFn } from "@/lib/ai/runs/run-scope";
import type { CallEvent, ProviderCandidate } from "@/lib/ai/types";

/**
 * A generation run driven by fixed role answers, for tests that call
 * launchRun directly: a one-file node plan whose tester runs `command`.
 */

export const SCRIPT_CANDIDATES: ProviderCandidate[] = [{ provider: "joxcoder", model: "joxcoder", source: "platform" }];

export function scriptedRoles(name: string, command: string): StreamFn {
  const plan = {
    name,
    summary: "A one-file node app.",
    stack: ["node"],
    files: [{ path: "index.js", purpose: "entry", role: "backend" }],
    dataModel: [],
    api: [],
    components: [],
  };
  const answers: Record<string, string> = {
    architect: JSON.stringify(plan),
    backend: '<file path="index.js">console.log(1);\n</file>',
    frontend: "Nothing for the frontend.",
    devops: '<file path="package.json">{"scripts":{"test":"node index.js"}}\n</file>',
    security: "Nothing to fix.",
    tester: `<command>${command}</command>`,
    fixer: "No idea.",
  };
  return async function* (options): AsyncGenerator<CallEvent> {
    const role = /^ROLE: (\w+)/.exec(options.messages[0]!.content)![1]!;
    yield { type: "text", text: answers[role] ?? "" };
    yield { type: "finish", attempt: { ...SCRIPT_CANDIDATES[0]!, ok: true, usage: { inputTokens: 100, outputTokens: 100 } } };
  };
}
