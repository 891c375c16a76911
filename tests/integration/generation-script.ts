/**
 * The scripted todo app the generation tests and the benchmark answer with:
 * one transcript per role, as the llm-server fixture streams them.
 */

export const PLAN = {
  name: "Todo",
  summary: "A small todo list with an HTTP API.",
  stack: ["Node.js", "vanilla JS"],
  files: [
    { path: "server/index.js", purpose: "HTTP server and the todo API", role: "backend" },
    { path: "server/store.js", purpose: "In-memory todo storage", role: "backend" },
    { path: "web/index.html", purpose: "The page", role: "frontend" },
    { path: "web/app.js", purpose: "Renders todos and calls the API", role: "frontend" },
    { path: "package.json", purpose: "Scripts", role: "devops" },
  ],
  dataModel: [{ name: "Todo", fields: ["id: number", "title: string", "done: boolean"] }],
  api: [
    { method: "GET", path: "/api/todos", description: "List todos as JSON" },
    { method: "POST", path: "/api/todos", description: "Create a todo {title}; 400 without a title" },
  ],
  components: [{ name: "TodoList", purpose: "Shows todos and a form to add one" }],
};

const SERVER_JS = `const http = require("node:http");
const store = require("./store");

const server = http.createServer((req, res) => {
  if (req.url === "/api/todos" && req.method === "GET") {
    res.setHeader("content-type", "application/json");
    return res.end(JSON.stringify(store.list()));
  }
  res.statusCode = 404;
  res.end();
});

server.listen(process.env.PORT || 3000);
`;

export const TRANSCRIPTS: Record<string, string> = {
  architect: JSON.stringify(PLAN, null, 2),
  backend: `The API and its storage.

<file path="server/store.js">
const todos = [];
exports.list = () => todos;
exports.add = (title) => {
  const todo = { id: todos.length + 1, title, done: false };
  todos.push(todo);
  return todo;
};
</file>

<file path="server/index.js">
${SERVER_JS}</file>
`,
  frontend: `The page and its script.

<file path="web/index.html">
<!doctype html>
<html><body><ul id="todos"></ul><script src="app.js"></script></body></html>
</file>
<file path="web/app.js">
fetch("/api/todos").then((r) => r.json()).then((todos) => {
  document.getElementById("todos").innerHTML = todos.map((t) => "<li>" + t.title + "</li>").join("");
});
</file>
`,
  devops: `<file path="package.json">
{ "name": "todo", "scripts": { "start": "node server/index.js", "test": "node --test" } }
</file>
<file path="README.md">
# Todo

Run with \`npm start\`; reads PORT.
</file>
`,
  security: `The list renders titles with innerHTML; switched to textContent.

<edit path="web/app.js"><search>  document.getElementById("todos").innerHTML = todos.map((t) => "<li>" + t.title + "</li>").join("");</search><replace>  const list = document.getElementById("todos");
  for (const t of todos) {
    const item = document.createElement("li");
    item.textContent = t.title;
    list.append(item);
  }</replace></edit>
`,
  tester: `<file path="test/api.test.js">
require("node:test")("lists todos", () => {});
</file>
<command>npm test</command>
`,
};

export const EXPECTED_FILES = ["README.md", "package.json", "server/index.js", "server/store.js", "web/app.js", "web/index.html"];
