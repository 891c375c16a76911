import type { WorkingTree } from "./working-tree";

/**
 * The security role's deterministic checks (docs/architecture.md#a-generation-run): hard-coded
 * secrets, eval-like calls, SQL built from strings, and mutating route
 * handlers with no sign of authentication. Heuristics, tuned to stay quiet on
 * the usual safe forms (env reads, placeholders, parameterised queries,
 * sql`…` tagged templates); the model's review covers the rest.
 */

export type SecurityRule = "secret" | "eval" | "sql_concat" | "missing_auth";

export interface SecurityFinding {
  rule: SecurityRule;
  severity: "high" | "medium";
  path: string;
  /** 1-based. */
  line: number;
  message: string;
}

export interface SourceFile {
  path: string;
  content: string;
}

// ---------------------------------------------------------------- which files

const JS_EXTENSIONS = new Set(["js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts", "vue", "svelte"]);
const OTHER_CODE_EXTENSIONS = new Set(["py", "rb", "go", "java", "kt", "php", "cs", "rs", "swift", "sh", "bash"]);
/** Checked for secrets only; values there are often unquoted. */
const CONFIG_EXTENSIONS = new Set(["json", "yaml", "yml", "toml", "ini", "env", "properties", "conf"]);
const LOCKFILES = new Set([
  "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb",
  "composer.lock", "gemfile.lock", "poetry.lock", "cargo.lock", "go.sum", "pipfile.lock", "uv.lock",
]);

type FileKind = { kind: "js" | "code" | "config"; extension: string } | null;

function classify(path: string): FileKind {
  const name = (path.split("/").pop() ?? path).toLowerCase();
  if (LOCKFILES.has(name)) return null;
  if (name === ".env" || name.startsWith(".env.")) return { kind: "config", extension: "env" };
  const extension = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : "";
  if (JS_EXTENSIONS.has(extension)) return { kind: "js", extension };
  if (OTHER_CODE_EXTENSIONS.has(extension)) return { kind: "code", extension };
  if (CONFIG_EXTENSIONS.has(extension)) return { kind: "config", extension };
  return null;
}

function lineAt(content: string, offset: number): number {
  let line = 1;
  for (let i = content.indexOf("\n"); i !== -1 && i < offset; i = content.indexOf("\n", i + 1)) line++;
  return line;
}

// ---------------------------------------------------------------- secrets

const KNOWN_SECRET_FORMATS: { pattern: RegExp; what: string; severity: "high" | "medium" }[] = [
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, what: "an AWS access key id", severity: "high" },
  { pattern: /\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}/, what: "an API secret key (sk-…)", severity: "high" },
  { pattern: /\b[rs]k_live_[A-Za-z0-9]{16,}/, what: "a live Stripe secret key", severity: "high" },
  { pattern: /\b[rs]k_test_[A-Za-z0-9]{16,}/, what: "a Stripe test secret key", severity: "medium" },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}|\bgithub_pat_[A-Za-z0-9_]{40,}/, what: "a GitHub token", severity: "high" },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/, what: "a Slack token", severity: "high" },
  { pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, what: "a private key", severity: "high" },
];

/** `name = "value"`, `name: 'value'`, `"name": "value"`. */
const QUOTED_ASSIGNMENT = /["']?([A-Za-z_$][\w$.-]*)["']?\s*(?::=|:|=(?![=>]))\s*(["'`])([^"'`\n]*)\2/g;
/** `NAME=value` / `name: value` lines in .env, YAML, TOML, INI. */
const CONFIG_ASSIGNMENT = /^\s*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(.*?)\s*$/;

const PASSWORD_NAME = /passw(?:or)?d|pwd|passphrase/i;
const SECRET_NAME = /secret|token|api[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|credential|(?:^|[_.-])key$|[a-z]Key$/i;
/** Names that hold text about a secret rather than the secret itself. */
const NOT_A_SECRET_NAME =
  /label|placeholder|hint|message|msg|error|title|text|prompt|description|type|regex|pattern|min|max|length|policy|url|uri|route|path|endpoint|header|field|input|column|param|name$|id$|storage|cookie|expires|ttl/i;

const PLACEHOLDER_WORDS = [
  "example", "your", "xxx", "placeholder", "changeme", "change-me", "change_me", "replace", "dummy", "fake",
  "sample", "redacted", "todo", "insert", "<", ">", "${", "{{", "***", "...", "…", "process.env",
];
const PLACEHOLDER_VALUES = new Set(["password", "secret", "token", "changeit", "none", "null", "undefined", "true", "false"]);

function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower.length < 4 || PLACEHOLDER_VALUES.has(lower)) return true;
  if (/^(.)\1+$/.test(lower)) return true;
  return PLACEHOLDER_WORDS.some((word) => lower.includes(word));
}

function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

function looksRandom(value: string): boolean {
  return (
    value.length >= 16 &&
    !/\s/.test(value) &&
    /[A-Za-z]/.test(value) &&
    /\d/.test(value) &&
    shannonEntropy(value) >= 3.5
  );
}

/** Why this name/value pair is a hard-coded secret, or null. */
function secretAssignment(name: string, value: string): string | null {
  if (NOT_A_SECRET_NAME.test(name) || isPlaceholder(value)) return null;
  if (PASSWORD_NAME.test(name) && !/\s/.test(value)) return `a hard-coded password in ${name}`;
  if (SECRET_NAME.test(name) && looksRandom(value)) return `a hard-coded secret in ${name}`;
  return null;
}

function unquote(value: string): string {
  const withoutComment = value.replace(/\s+#.*$/, "");
  const quoted = /^(["'])(.*)\1$/.exec(withoutComment);
  return quoted ? quoted[2] : withoutComment;
}

function findSecrets(file: SourceFile, kind: "js" | "code" | "config"): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  file.content.split("\n").forEach((text, index) => {
    const report = (severity: "high" | "medium", what: string) =>
      findings.push({
        rule: "secret",
        severity,
        path: file.path,
        line: index + 1,
        message: `${what[0].toUpperCase()}${what.slice(1)}: read it from an environment variable (process.env.…) and keep the value out of the code.`,
      });
    for (const format of KNOWN_SECRET_FORMATS) {
      const match = format.pattern.exec(text);
      if (match && !isPlaceholder(match[0])) return report(format.severity, `${format.what} is hard-coded`);
    }
    for (const match of text.matchAll(QUOTED_ASSIGNMENT)) {
      const why = secretAssignment(match[1], match[3]);
      if (why) return report("high", `${why} is hard-coded`);
    }
    if (kind === "config") {
      const match = CONFIG_ASSIGNMENT.exec(text);
      const why = match ? secretAssignment(match[1], unquote(match[2])) : null;
      if (why) return report("high", `${why} is hard-coded`);
    }
  });
  return findings;
}

// ---------------------------------------------------------------- eval

const EVAL_CALLS: { pattern: RegExp; severity: "high" | "medium"; message: string }[] = [
  {
    pattern: /(?:^|[^\w$.]|\b(?:window|globalThis|self)\.)eval\s*\(/,
    severity: "high",
    message: "eval() runs arbitrary code: parse the data instead (JSON.parse, a lookup table).",
  },
  {
    pattern: /\bnew\s+Function\s*\(/,
    severity: "high",
    message: "new Function() compiles code from a string, like eval(): use a real function instead.",
  },
  {
    pattern: /(?:^|[^\w$.]|\b(?:window|globalThis|self)\.)(?:setTimeout|setInterval)\s*\(\s*["'`]/,
    severity: "medium",
    message: "setTimeout/setInterval with a string evaluates it as code: pass a function.",
  },
];

function isCommentLine(text: string, extension: string): boolean {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("//") || trimmed.startsWith("/*") || trimmed.startsWith("*")) return true;
  return trimmed.startsWith("#") && ["py", "rb", "sh", "bash"].includes(extension);
}

function findEval(file: SourceFile, extension: string): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  file.content.split("\n").forEach((text, index) => {
    if (isCommentLine(text, extension)) return;
    const hit = EVAL_CALLS.find((call) => call.pattern.test(text));
    if (hit) findings.push({ rule: "eval", severity: hit.severity, path: file.path, line: index + 1, message: hit.message });
  });
  return findings;
}

// ---------------------------------------------------------------- SQL built from strings

interface StringLiteral {
  start: number;
  /** Index just past the closing quote. */
  end: number;
  quote: string;
  /** The static text (template expressions left out). */
  text: string;
  interpolated: boolean;
}

/** String and template literals of JS/TS source, skipping comments. Regex literals are not recognised. */
function stringLiterals(source: string): StringLiteral[] {
  const literals: StringLiteral[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    if (char === "/" && source[i + 1] === "/") {
      const newline = source.indexOf("\n", i);
      i = newline === -1 ? source.length : newline;
    } else if (char === "/" && source[i + 1] === "*") {
      const close = source.indexOf("*/", i + 2);
      i = close === -1 ? source.length : close + 2;
    } else if (char === '"' || char === "'" || char === "`") {
      const literal = readLiteral(source, i);
      literals.push(literal);
      i = literal.end;
    } else i++;
  }
  return literals;
}

function readLiteral(source: string, start: number): StringLiteral {
  const quote = source[start];
  let text = "";
  let interpolated = false;
  let i = start + 1;
  while (i < source.length) {
    const char = source[i];
    if (char === "\\") {
      text += source.slice(i, i + 2);
      i += 2;
    } else if (char === quote) {
      return { start, end: i + 1, quote, text, interpolated };
    } else if (char === "\n" && quote !== "`") {
      break;
    } else if (quote === "`" && char === "$" && source[i + 1] === "{") {
      interpolated = true;
      let depth = 1;
      i += 2;
      while (i < source.length && depth > 0) {
        if (source[i] === "{") depth++;
        else if (source[i] === "}") depth--;
        i++;
      }
      text += " ? ";
    } else {
      text += char;
      i++;
    }
  }
  return { start, end: i, quote, text, interpolated };
}

const KEYWORDS_BEFORE_EXPRESSION = new Set(["return", "typeof", "await", "yield", "case", "in", "of", "else", "do", "throw", "new", "void", "delete"]);
const QUERY_CALLS = /(?:^|[^\w$])(?:query|execute|exec|raw|unsafe|prepare|all|get|run|each|\$?queryRawUnsafe|\$?executeRawUnsafe)\s*\($/;
/** SQL in upper case, as generated code writes it; anywhere in the code. */
const SQL_STATEMENT = /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b|\bWHERE\b|\bORDER\s+BY\b|\bVALUES\s*\(/;
/** Any case, when the literal is the first argument of a query call. */
const SQL_STATEMENT_ANY_CASE = new RegExp(SQL_STATEMENT.source, "i");

function previousNonSpace(source: string, from: number): number {
  let i = from - 1;
  while (i >= 0 && /\s/.test(source[i])) i--;
  return i;
}

function nextNonSpace(source: string, from: number): number {
  let i = from;
  while (i < source.length && /\s/.test(source[i])) i++;
  return i;
}

/** `sql\`…\``, `Prisma.sql \`…\``: the tag escapes the values. */
function isTaggedTemplate(source: string, literal: StringLiteral): boolean {
  if (literal.quote !== "`") return false;
  const before = previousNonSpace(source, literal.start);
  if (before < 0 || !/[\w$]/.test(source[before])) return false;
  let wordStart = before;
  while (wordStart > 0 && /[\w$]/.test(source[wordStart - 1])) wordStart--;
  return !KEYWORDS_BEFORE_EXPRESSION.has(source.slice(wordStart, before + 1));
}

/** Is the literal joined with `+` to something that is not itself a literal? */
function isConcatenated(source: string, literal: StringLiteral): boolean {
  const after = nextNonSpace(source, literal.end);
  if (source[after] === "+") {
    const operand = nextNonSpace(source, after + (source[after + 1] === "=" ? 2 : 1));
    if (operand < source.length && !`"'\``.includes(source[operand])) return true;
  }
  const before = previousNonSpace(source, literal.start);
  if (before >= 0 && source[before] === "+") {
    const operand = previousNonSpace(source, before);
    if (operand >= 0 && !`"'\``.includes(source[operand])) return true;
  }
  return false;
}

function findSqlConcatJs(file: SourceFile): SecurityFinding[] {
  const source = file.content;
  const findings: SecurityFinding[] = [];
  for (const literal of stringLiterals(source)) {
    const interpolated = literal.interpolated && !isTaggedTemplate(source, literal);
    if (!interpolated && !isConcatenated(source, literal)) continue;
    const callBefore = source.slice(Math.max(0, literal.start - 40), literal.start).trimEnd();
    const sql = QUERY_CALLS.test(callBefore) ? SQL_STATEMENT_ANY_CASE : SQL_STATEMENT;
    if (!sql.test(literal.text)) continue;
    findings.push({
      rule: "sql_concat",
      severity: "high",
      path: file.path,
      line: lineAt(source, literal.start),
      message:
        `SQL built by ${interpolated ? "template interpolation" : "string concatenation"} can be injected: ` +
        'pass the values as parameters (db.query("… WHERE id = $1", [id])) or use a sql`…` tagged template.',
    });
  }
  return findings;
}

const PYTHON_SQL = [
  /\b(?:execute|executemany|query|raw)\s*\(\s*f["'][^"'\n]*\{/,
  /\b(?:execute|executemany|query|raw)\s*\(\s*["'][^"'\n]*["']\s*(?:\+|%|\.format\s*\()/,
];

function findSqlConcatPython(file: SourceFile): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  file.content.split("\n").forEach((text, index) => {
    if (PYTHON_SQL.some((pattern) => pattern.test(text)) && SQL_STATEMENT_ANY_CASE.test(text)) {
      findings.push({
        rule: "sql_concat",
        severity: "high",
        path: file.path,
        line: index + 1,
        message: 'SQL built from a formatted string can be injected: pass the values as parameters (cursor.execute("… WHERE id = %s", (id,))).',
      });
    }
  });
  return findings;
}

// ---------------------------------------------------------------- missing auth

/** Words that show the code authenticates the caller ("author" does not count, "authorization" does). */
const AUTH_REFERENCE =
  /auth(?!or(?!i[sz]))|session|getuser|currentuser|requireuser|verify|jwt|clerk|bearer|api_?key|signature|passport|protect|loggedin|requirelogin|guard/i;
/** Endpoints that are public by nature. */
const PUBLIC_ENDPOINT = /auth|login|logout|signin|signup|sign-in|sign-up|register|webhook|health|password-reset|forgot/i;
const NEXT_ROUTE_FILE = /(?:^|\/)app\/(?:.*\/)?route\.[cm]?[jt]sx?$/;
const NEXT_MIDDLEWARE_FILE = /^(?:src\/)?(?:middleware|proxy)\.[cm]?[jt]s$/;
const NEXT_MUTATING_EXPORT =
  /export\s+(?:async\s+)?function\s+(POST|PUT|PATCH|DELETE)\b|export\s+(?:const|let|var)\s+(POST|PUT|PATCH|DELETE)\b|export\s*\{[^}]*?\b(POST|PUT|PATCH|DELETE)\s*(?:,|\})/g;
const EXPRESS_ROUTE = /\b(app|router|server|routes|\w+Router)\.(post|put|patch|delete)\s*\(\s*(["'`])([^"'`]*)\3\s*,(.*)$/;
const EXPRESS_USE = /\b(?:app|router|server|routes|\w+Router)\.use\s*\((.*)$/;

function withoutComments(source: string): string {
  const blankBlock = (comment: string) => comment.replace(/[^\n]/g, " ");
  return source.replace(/\/\*[\s\S]*?\*\//g, blankBlock).replace(/(^|[^:])\/\/.*$/gm, "$1");
}

function findMissingAuthNext(file: SourceFile): SecurityFinding[] {
  if (PUBLIC_ENDPOINT.test(file.path)) return [];
  const code = withoutComments(file.content);
  if (AUTH_REFERENCE.test(code)) return [];
  const findings: SecurityFinding[] = [];
  for (const match of file.content.matchAll(NEXT_MUTATING_EXPORT)) {
    const method = match[1] ?? match[2] ?? match[3];
    findings.push({
      rule: "missing_auth",
      severity: "medium",
      path: file.path,
      line: lineAt(file.content, match.index),
      message: `The ${method} handler never checks who is calling (no auth, session, getUser, currentUser or verify…): authenticate first and answer 401.`,
    });
  }
  return findings;
}

function findMissingAuthExpress(file: SourceFile): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  let protectedByUse = false;
  withoutComments(file.content)
    .split("\n")
    .forEach((text, index) => {
      const use = EXPRESS_USE.exec(text);
      if (use && AUTH_REFERENCE.test(use[1])) protectedByUse = true;
      const route = EXPRESS_ROUTE.exec(text);
      if (!route || protectedByUse || PUBLIC_ENDPOINT.test(route[4]) || AUTH_REFERENCE.test(route[5])) return;
      findings.push({
        rule: "missing_auth",
        severity: "medium",
        path: file.path,
        line: index + 1,
        message: `${route[1]}.${route[2]}("${route[4]}") has no authentication middleware: add one (e.g. requireAuth) before the handler.`,
      });
    });
  return findings;
}

// ---------------------------------------------------------------- all checks

export function runSecurityChecks(files: SourceFile[]): SecurityFinding[] {
  const middlewareAuthenticates = files.some(
    (file) => NEXT_MIDDLEWARE_FILE.test(file.path) && AUTH_REFERENCE.test(withoutComments(file.content)),
  );
  const findings: SecurityFinding[] = [];
  for (const file of files) {
    const kind = classify(file.path);
    if (!kind) continue;
    findings.push(...findSecrets(file, kind.kind));
    if (kind.kind === "config") continue;
    if (kind.kind === "js" || kind.extension === "py") findings.push(...findEval(file, kind.extension));
    if (kind.kind === "js") {
      findings.push(...findSqlConcatJs(file));
      if (NEXT_ROUTE_FILE.test(file.path) && !middlewareAuthenticates) findings.push(...findMissingAuthNext(file));
      findings.push(...findMissingAuthExpress(file));
    }
    if (kind.extension === "py") findings.push(...findSqlConcatPython(file));
  }
  const seen = new Set<string>();
  return findings
    .filter((finding) => {
      const key = `${finding.rule}\u0000${finding.path}\u0000${finding.line}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
}

/** The checks over a run's working tree, one line per finding, for events and the security reviewer. */
export function automaticFindings(tree: WorkingTree): string[] {
  return runSecurityChecks(tree.list()).map(
    (f) => `${f.path}${f.line ? `:${f.line}` : ""} [${f.rule}] ${f.message}`,
  );
}
