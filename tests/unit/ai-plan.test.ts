import { describe, expect, it } from "vitest";
import { describeApiContract, extractJson, obtainPlan, parsePlan } from "@/lib/ai/plan";
import type { ChatMessage } from "@/lib/ai/types";

const validPlan = {
  name: "Todo",
  summary: "A todo list with due dates.",
  stack: ["Node.js", "Express", "React"],
  files: [
    { path: "server/index.js", purpose: "HTTP server and API", role: "backend" },
    { path: "./web/src/App.jsx", purpose: "The todo list UI", role: "frontend" },
  ],
  dataModel: [{ name: "Todo", fields: ["id: string", "title: string", "done: boolean"] }],
  api: [
    { method: "get", path: "/api/todos", description: "List todos" },
    { method: "POST", path: "/api/todos", description: "Create a todo; 400 without a title" },
  ],
  components: [{ name: "TodoList", purpose: "Shows the todos" }],
};

describe("parsePlan", () => {
  it("accepts a bare JSON object and normalizes paths and methods", () => {
    const result = parsePlan(JSON.stringify(validPlan));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.files.map((f) => f.path)).toEqual(["server/index.js", "web/src/App.jsx"]);
    expect(result.plan.api.map((a) => a.method)).toEqual(["GET", "POST"]);
    expect(result.plan.files[1].role).toBe("frontend");
  });

  it("accepts a plan inside a ```json fence with prose around it", () => {
    const answer = `Here is the plan:\n\n\`\`\`json\n${JSON.stringify(validPlan, null, 2)}\n\`\`\`\n\nLet me know.`;
    const result = parsePlan(answer);
    expect(result.ok && result.plan.name).toBe("Todo");
  });

  it("accepts a plan preceded by prose without a fence", () => {
    expect(parsePlan(`Sure! ${JSON.stringify(validPlan)} Done.`).ok).toBe(true);
  });

  it("fills optional sections with empty defaults", () => {
    const { name, summary, stack, files } = validPlan;
    const result = parsePlan(JSON.stringify({ name, summary, stack, files }));
    expect(result.ok && result.plan.api).toEqual([]);
    expect(result.ok && result.plan.components).toEqual([]);
  });

  it("reports JSON that does not parse", () => {
    const result = parsePlan('{"name": "Todo", "summary": ');
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.error).toMatch(/does not parse/);
  });

  it("reports an answer with no JSON at all", () => {
    expect(parsePlan("I cannot do that.")).toEqual({ ok: false, error: "The answer contains no JSON object." });
  });

  it("reports schema problems with the field paths", () => {
    const result = parsePlan(JSON.stringify({ ...validPlan, files: [{ path: "../etc/passwd", purpose: "x" }], name: "" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain("name:");
    expect(result.error).toContain("files.0.path:");
  });

  it("refuses a plan without files and an unknown HTTP method", () => {
    const result = parsePlan(JSON.stringify({ ...validPlan, files: [], api: [{ method: "FETCH", path: "/x" }] }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/files/);
    expect(!result.ok && result.error).toMatch(/api\.0\.method/);
  });
});

describe("extractJson", () => {
  it("prefers the fenced block over braces in the prose", () => {
    expect(extractJson('Use {curly} braces.\n```json\n{"a": 1}\n```')).toBe('{"a": 1}');
  });
});

describe("obtainPlan", () => {
  const messages: ChatMessage[] = [
    { role: "system", content: "ROLE: architect" },
    { role: "user", content: "A todo app" },
  ];

  it("asks once when the first answer is valid", async () => {
    const asked: ChatMessage[][] = [];
    const result = await obtainPlan(async (m) => {
      asked.push(m);
      return JSON.stringify(validPlan);
    }, messages);
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    expect(asked).toHaveLength(1);
  });

  it("sends the validation error back once and uses the repaired answer", async () => {
    const asked: ChatMessage[][] = [];
    const answers = ['{"name": "Todo", "files": "oops"}', JSON.stringify(validPlan)];
    const result = await obtainPlan(async (m) => {
      asked.push(m);
      return answers[asked.length - 1];
    }, messages);

    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(asked).toHaveLength(2);
    const repair = asked[1];
    expect(repair.slice(0, 2)).toEqual(messages);
    expect(repair[2]).toEqual({ role: "assistant", content: answers[0] });
    expect(repair[3].role).toBe("user");
    expect(repair[3].content).toContain("files:");
    expect(repair[3].content).toContain("summary:");
  });

  it("gives up after one repair", async () => {
    let calls = 0;
    const result = await obtainPlan(async () => {
      calls += 1;
      return "not json";
    }, messages);
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(calls).toBe(2);
  });
});

describe("describeApiContract", () => {
  it("lists each endpoint on one line", () => {
    const result = parsePlan(JSON.stringify(validPlan));
    if (!result.ok) throw new Error(result.error);
    expect(describeApiContract(result.plan)).toBe(
      "GET /api/todos — List todos\nPOST /api/todos — Create a todo; 400 without a title",
    );
  });
});
