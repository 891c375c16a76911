import { describe, expect, it } from "vitest";
import { runSecurityChecks, type SecurityFinding, type SecurityRule } from "@/lib/ai/runs/audit-rules";

function check(path: string, content: string, rule?: SecurityRule): SecurityFinding[] {
  const findings = runSecurityChecks([{ path, content }]);
  return rule ? findings.filter((finding) => finding.rule === rule) : findings;
}

function lines(findings: SecurityFinding[]): number[] {
  return findings.map((finding) => finding.line);
}

// Built at run time so this file itself holds no secret-looking literal.
const AWS_KEY = ["AKIA", "Z7Q2", "M4XK", "P9LB", "R3TD"].join("");
const OPENAI_KEY = ["sk-", "proj-", "q8Xv2LmN4rT7yB1cD5eF9gH3jK6"].join("");
const STRIPE_LIVE = ["sk_", "live_", "51Hq8Xv2LmN4rT7yB1cD5e"].join("");
const STRIPE_TEST = ["sk_", "test_", "51Hq8Xv2LmN4rT7yB1cD5e"].join("");
const RANDOM_TOKEN = "f3A9kQ7zL2xW8mB4nV6cR1tY5uE0pS";

describe("secret", () => {
  it("finds well-known key formats", () => {
    const content = [
      `const aws = "${AWS_KEY}";`,
      `const openai = new OpenAI({ apiKey: "${OPENAI_KEY}" });`,
      `const stripe = new Stripe("${STRIPE_LIVE}");`,
      `const testStripe = new Stripe("${STRIPE_TEST}");`,
      `const key = \`-----BEGIN RSA PRIVATE KEY-----`,
      `const fallback = process.env.OPENAI_API_KEY || "${OPENAI_KEY}";`,
    ].join("\n");
    const findings = check("src/config.ts", content, "secret");
    expect(lines(findings)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(findings.map((f) => f.severity)).toEqual(["high", "high", "high", "medium", "high", "high"]);
    expect(findings[0].message).toContain("AWS access key id");
    expect(findings[0].message).toContain("environment variable");
  });

  it("finds password literals and high-entropy values assigned to secret-like names", () => {
    const content = [
      `const password = "hunter2!";`,
      `const config = { dbPassword: 'S3cure-Pa55', jwtSecret: "${RANDOM_TOKEN}" };`,
      `export const API_TOKEN = "${RANDOM_TOKEN}";`,
      `client = Client(secret_key="${RANDOM_TOKEN}")`,
    ].join("\n");
    expect(lines(check("src/db.ts", content, "secret"))).toEqual([1, 2, 3, 4]);
    expect(lines(check("app.py", `SECRET_KEY = "${RANDOM_TOKEN}"\npassword = "hunter2!"`, "secret"))).toEqual([1, 2]);
  });

  it("finds secrets in .env and YAML files, quoted or not", () => {
    expect(lines(check(".env", `PORT=3000\nDB_PASSWORD=hunter2!\nSESSION_SECRET="${RANDOM_TOKEN}"\n`, "secret"))).toEqual([2, 3]);
    expect(lines(check("config/app.yml", `db:\n  password: hunter2!\n  host: localhost\n`, "secret"))).toEqual([2]);
    expect(lines(check("config.json", `{\n  "apiKey": "${RANDOM_TOKEN}"\n}`, "secret"))).toEqual([2]);
  });

  it("ignores env reads, placeholders, low-entropy strings and text about passwords", () => {
    const content = [
      `const apiKey = process.env.OPENAI_API_KEY;`,
      `const secret = process.env.SESSION_SECRET ?? "dev-secret";`,
      `const password = "";`,
      `const key = "sk-your-key-here-xxxxxxxxxxxx";`,
      `const aws = "AKIAIOSFODNN7EXAMPLE";`,
      `const STORAGE_KEY = "todos-v1";`,
      `const TOKEN_COOKIE = "session_token_abc123XYZ789";`,
      `const passwordLabel = "Enter your password";`,
      `<input type="password" placeholder="Password" />`,
      `const tokenKey = "authTokenStorageKey";`,
      `const passwordMinLength = "12345678";`,
      `const password = "password";`,
      `const apiKey = "\${API_KEY}";`,
    ].join("\n");
    expect(check("src/app.tsx", content, "secret")).toEqual([]);
    expect(check(".env.example", "OPENAI_API_KEY=your-openai-key\nDB_PASSWORD=changeme\nSECRET=\n", "secret")).toEqual([]);
  });

  it("skips lockfiles, Markdown and other non-code files", () => {
    const leak = `password = "hunter2!"\n${AWS_KEY}`;
    expect(runSecurityChecks([
      { path: "package-lock.json", content: `{"password": "hunter2!", "k": "${AWS_KEY}"}` },
      { path: "README.md", content: leak },
      { path: "docs/notes.txt", content: leak },
      { path: "public/logo.svg", content: leak },
    ])).toEqual([]);
  });
});

describe("eval", () => {
  it("finds eval, new Function and string timers", () => {
    const content = [
      `const result = eval(userInput);`,
      `const fn = new Function("a", "b", body);`,
      `setTimeout("refresh()", 1000);`,
      `window.setInterval('tick()', 50);`,
      `const x = window.eval(code);`,
    ].join("\n");
    const findings = check("src/run.js", content, "eval");
    expect(lines(findings)).toEqual([1, 2, 3, 4, 5]);
    expect(findings.map((f) => f.severity)).toEqual(["high", "high", "medium", "medium", "high"]);
    expect(lines(check("calc.py", "value = eval(expression)\n", "eval"))).toEqual([1]);
  });

  it("ignores look-alikes, function timers and comments", () => {
    const content = [
      `const score = evaluate(input);`,
      `await page.evaluate(() => document.title);`,
      `model.eval();`,
      `setTimeout(() => refresh(), 1000);`,
      `setTimeout(refresh, 1000);`,
      `// never use eval(x) here`,
      ` * new Function() is forbidden`,
      `const myeval = retrieval(x);`,
    ].join("\n");
    expect(check("src/run.ts", content, "eval")).toEqual([]);
    expect(check("notes.md", "eval(x)", "eval")).toEqual([]);
  });
});

describe("sql_concat", () => {
  it("finds SQL built by concatenation or interpolation passed to a query", () => {
    const content = [
      `const rows = await db.query("SELECT * FROM users WHERE id = " + req.params.id);`,
      "const row = await pool.query(`SELECT * FROM todos WHERE owner = '${user}'`);",
      `const sql = "DELETE FROM todos WHERE id = " + id;`,
      "db.prepare(`select * from t where name = '${name}'`).all();",
      `const q = "UPDATE users SET name = '" + name + "' WHERE id = 1";`,
      "await prisma.$queryRawUnsafe(`SELECT * FROM users WHERE email = '${email}'`);",
      "const where = `WHERE title LIKE '%${search}%'`;",
      `let query = "SELECT * FROM items";`,
      `query += " WHERE id = " + id;`,
    ].join("\n");
    const findings = check("src/db.ts", content, "sql_concat");
    expect(lines(findings)).toEqual([1, 2, 3, 4, 5, 6, 7, 9]);
    expect(findings[0].message).toContain("string concatenation");
    expect(findings[1].message).toContain("template interpolation");
    expect(findings[0].severity).toBe("high");
  });

  it("ignores parameterised queries, tagged templates, constant SQL and non-SQL strings", () => {
    const content = [
      `const rows = await db.query("SELECT * FROM users WHERE id = $1", [req.params.id]);`,
      "const row = await sql`SELECT * FROM todos WHERE owner = ${user}`;",
      "const more = await prisma.$queryRaw`SELECT * FROM users WHERE email = ${email}`;",
      "db.prepare(`SELECT * FROM t WHERE id = ?`).get(id);",
      `const query = "SELECT * FROM " + "todos";`,
      "console.log(`Selected ${count} items from the list`);",
      `const label = "Select an item from " + listName;`,
      "const cached = map.get(`user:${id}`);",
      "// const bad = db.query(`SELECT * FROM t WHERE id = ${id}`);",
      "const url = `https://api.example.com/todos?where=${id}`;",
    ].join("\n");
    expect(check("src/db.ts", content, "sql_concat")).toEqual([]);
  });

  it("checks Python cursor calls", () => {
    const content = [
      `cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")`,
      `cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)`,
      `cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))`,
    ].join("\n");
    expect(lines(check("app/db.py", content, "sql_concat"))).toEqual([1, 2]);
  });
});

describe("missing_auth", () => {
  it("finds mutating Next.js route handlers with no auth reference", () => {
    const content = [
      `import { NextResponse } from "next/server";`,
      `import { db } from "@/lib/db";`,
      ``,
      `export async function GET() { return NextResponse.json(await db.todos()); }`,
      `export async function POST(req: Request) {`,
      `  const body = await req.json();`,
      `  return NextResponse.json(await db.addTodo(body));`,
      `}`,
      `export const DELETE = async (req: Request) => NextResponse.json({});`,
      `/* TODO: check the session */`,
    ].join("\n");
    const findings = check("app/api/todos/route.ts", content, "missing_auth");
    expect(lines(findings)).toEqual([5, 9]);
    expect(findings[0].message).toContain("POST handler");
    expect(findings[1].message).toContain("DELETE handler");
    expect(findings[0].severity).toBe("medium");
    expect(lines(check("src/app/api/items/[id]/route.js", "export async function PATCH() {}", "missing_auth"))).toEqual([1]);
  });

  it("accepts handlers that authenticate, read-only routes, public endpoints and protected middleware", () => {
    const authenticated = [
      `import { auth } from "@clerk/nextjs/server";`,
      `export async function POST() { const { userId } = await auth(); }`,
    ].join("\n");
    expect(check("app/api/todos/route.ts", authenticated, "missing_auth")).toEqual([]);
    expect(check("app/api/todos/route.ts", `export async function PUT() { const user = await getCurrentUser(); }`, "missing_auth")).toEqual([]);
    expect(check("app/api/todos/route.ts", `export async function PUT(req) { verifyToken(req.headers.get("authorization")); }`, "missing_auth")).toEqual([]);
    expect(check("app/api/todos/route.ts", `export async function GET() { return Response.json([]); }`, "missing_auth")).toEqual([]);
    expect(check("app/api/webhooks/stripe/route.ts", `export async function POST() {}`, "missing_auth")).toEqual([]);
    expect(check("app/api/posts/route.ts", `export async function POST() { const { author } = await req.json(); }`, "missing_auth")).toHaveLength(1);
    expect(check("lib/route.ts", `export async function POST() {}`, "missing_auth")).toEqual([]);
    expect(
      runSecurityChecks([
        { path: "middleware.ts", content: `export default clerkMiddleware();` },
        { path: "app/api/todos/route.ts", content: `export async function POST() {}` },
      ]),
    ).toEqual([]);
  });

  it("finds Express mutating routes without an auth middleware", () => {
    const content = [
      `const app = express();`,
      `app.get("/api/todos", (req, res) => res.json(todos));`,
      `app.post("/api/todos", (req, res) => { todos.push(req.body); res.status(201).end(); });`,
      `router.delete('/api/todos/:id', async (req, res) => {});`,
      `app.put("/api/todos/:id", requireAuth, (req, res) => {});`,
      `app.patch("/api/todos/:id", passport.authenticate("jwt"), handler);`,
      `app.post("/api/login", (req, res) => {});`,
      `await axios.post("/api/todos", todo);`,
    ].join("\n");
    const findings = check("server.js", content, "missing_auth");
    expect(lines(findings)).toEqual([3, 4]);
    expect(findings[0].message).toContain(`app.post("/api/todos")`);
  });

  it("accepts Express routes after an app-wide auth middleware", () => {
    const content = [`const router = express.Router();`, `router.use(authMiddleware);`, `router.post("/todos", (req, res) => {});`].join("\n");
    expect(check("routes/todos.ts", content, "missing_auth")).toEqual([]);
  });
});

describe("runSecurityChecks", () => {
  it("reports every rule across files, sorted by path and line", () => {
    const findings = runSecurityChecks([
      { path: "server.js", content: `app.post("/api/items", (req, res) => {});\nconst x = eval(req.body.code);` },
      { path: "app/db.ts", content: `export const q = (id) => db.query("SELECT * FROM t WHERE id = " + id);\nconst password = "hunter2!";` },
    ]);
    expect(findings.map((f) => [f.path, f.line, f.rule])).toEqual([
      ["app/db.ts", 1, "sql_concat"],
      ["app/db.ts", 2, "secret"],
      ["server.js", 1, "missing_auth"],
      ["server.js", 2, "eval"],
    ]);
  });

  it("returns nothing for a clean project", () => {
    expect(runSecurityChecks([{ path: "src/index.ts", content: `export const add = (a: number, b: number) => a + b;\n` }])).toEqual([]);
  });
});
