// Renders TeX with KaTeX for the mkdocs hook (hooks/katex.py).
// Protocol: one JSON request per line on stdin, {"tex": "...", "display": true},
// one JSON reply per line on stdout, {"html": "..."} or {"error": "..."}, plus
// "warnings" for things KaTeX accepts but would only print to the console.
// One process serves the whole build, so node starts once, not per formula.
"use strict";
const katex = require("katex");
const readline = require("node:readline");

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  let reply;
  try {
    const req = JSON.parse(line);
    const warnings = [];
    const html = katex.renderToString(req.tex, {
      displayMode: Boolean(req.display),
      throwOnError: true,
      output: "htmlAndMathml",
      strict: (code, msg) => {
        warnings.push(`${code}: ${msg}`);
        return "ignore";
      },
    });
    reply = { html, warnings };
  } catch (err) {
    reply = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
