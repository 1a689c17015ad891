#!/usr/bin/env node
// Checks KQL with Microsoft's Kusto language service (@kusto/language-service-next).
//
// Why a node tool: the language service is the only checker that knows the real KQL
// grammar, the built-in functions and the column names of the tables we give it.
// duckdb-kql (which executes our alert queries over fixtures) matches column names
// case-insensitively and accepts things Log Analytics rejects, so it cannot be the judge.
//
// stdin:  {"sets": [{"tables": {"AzureDiagnostics": "(TimeGenerated:datetime, ...)"},
//                    "queries": [{"name": "tunnel-drop", "text": "AzureDiagnostics | ..."}]},
//                   ...]}
// stdout: one list per set, in order: [[{"name", "ok", "diagnostics": [{message, severity,
//           line, column, code}], "suggestions": [...same shape...]}, ...], ...]
// Each set is checked against its own tables (one request carries the full schema and the
// fresh-workspace variants), so a plan starts one process, not one per schema.
// Diagnostics come from two places: the parser/binder (KustoCode.GetDiagnostics: syntax,
// unknown names, wrong types, and a few warnings such as KS179 unknown operator parameter)
// and Microsoft's analyzers (KustoCodeService.GetAnalyzerDiagnostics: what the Log Analytics
// editor underlines, e.g. KS508 join without kind, KS510 a let shadowed by a column).
// "diagnostics" holds every Error and Warning and any of them makes ok false: a warning is
// how the service says "this probably does not do what you think" (issue 4: any diagnostic
// fails). "suggestions" holds Suggestion/Information-severity hints (e.g. KS500 contains
// costs more than has): reported, never fatal.
// Exit status: 0 when the run worked (whatever the verdicts), 2 on bad input.
//
// Start-up: loading the service and its first analysis (the built-in function tables are
// built lazily) cost ~2 s of CPU per process, the checking itself ~25 ms a query. `make
// setup` therefore also builds a V8 startup snapshot of this script with the service loaded
// and warmed up (node --snapshot-blob node_modules/.kql-check.blob --build-snapshot check.js);
// gatewatch/kql/check.py starts `node --snapshot-blob ...` when the blob is there and newer
// than this file, and `node check.js` otherwise. Both run main() below on the same library.
"use strict";

const fs = require("fs");
const path = require("path");
const v8 = require("v8");

const PKG = path.join(__dirname, "node_modules", "@kusto", "language-service-next");

function loadLanguageService() {
  // The bridge runtime defines the globals (Bridge, System) the Kusto library needs;
  // the order is fixed. Both files attach to the global object, not to module.exports.
  // Each file runs in the CommonJS wrapper `require` would give it (a snapshot builder may
  // only require node's built-in modules, so the files are read and wrapped here).
  for (const file of ["bridge.min.js", "Kusto.Language.Bridge.min.js"]) {
    const filename = path.join(PKG, file);
    const wrapped = new Function("exports", "require", "module", "__filename", "__dirname",
      fs.readFileSync(filename, "utf8"));
    const module = { exports: {} };
    wrapped.call(module.exports, module.exports, require, module, filename, PKG);
  }
  return global.Kusto;
}

function lineAndColumn(text, offset) {
  // 1-based line and column of a UTF-16 offset (what the C# library reports, and what
  // JavaScript strings index), so a failing test can point at the spot in the YAML.
  let line = 1;
  let column = 1;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text[i] === "\n") {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line, column };
}

function buildGlobals(Kusto, tables) {
  const symbols = Kusto.Language.Symbols;
  const members = Object.entries(tables).map(
    ([name, schema]) => new symbols.TableSymbol.$ctor7(name, schema, null),
  );
  const db = new symbols.DatabaseSymbol.$ctor1("gatewatch", members, false);
  return Kusto.Language.GlobalState.Default.WithDatabase(db);
}

function toArray(list) {
  // GetDiagnostics returns a .NET IReadOnlyList; walk it through its Count/getItem.
  const out = [];
  const count = list.Count;
  for (let i = 0; i < count; i++) {
    out.push(list.getItem(i));
  }
  return out;
}

const FATAL = new Set(["Error", "Warning"]);

function checkOne(Kusto, globals, query) {
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(query.text, globals);
  const found = toArray(code.GetDiagnostics());
  if (!found.some((d) => d.Severity === "Error")) {
    // Analyzers need a bound tree; on a broken query they only repeat the errors.
    const service = new Kusto.Language.Editor.KustoCodeService.ctor(code);
    found.push(...toArray(service.GetAnalyzerDiagnostics(true)));
  }
  const diagnostics = [];
  const suggestions = [];
  for (const d of found) {
    const where = d.HasLocation ? lineAndColumn(query.text, d.Start) : { line: 0, column: 0 };
    const item = {
      message: d.Message,
      severity: d.Severity,
      code: d.Code,
      line: where.line,
      column: where.column,
    };
    (FATAL.has(d.Severity) ? diagnostics : suggestions).push(item);
  }
  return { name: query.name, ok: diagnostics.length === 0, diagnostics, suggestions };
}

function fail(message) {
  process.stderr.write(`kql-check: ${message}\n`);
  process.exit(2);
}

function main(Kusto) {
  let request;
  try {
    request = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (err) {
    fail(`stdin is not JSON: ${err.message}`);
  }
  const sets = request && request.sets;
  if (!Array.isArray(sets)
      || !sets.every((s) => s && typeof s.tables === "object" && Array.isArray(s.queries))) {
    fail("expected {sets: [{tables: {name: schema}, queries: [...]}, ...]}");
  }
  const results = sets.map((set) => {
    const globals = buildGlobals(Kusto, set.tables);
    return set.queries.map((q) => checkOne(Kusto, globals, q));
  });
  process.stdout.write(JSON.stringify(results));
}

function warmUp(Kusto) {
  // What a first check would otherwise pay for: the schema parser, the built-in functions and
  // operators (built on first use), and the analyzers. The results are thrown away.
  const globals = buildGlobals(Kusto, { Warm: "(TimeGenerated:datetime, Name:string, N:long)" });
  for (const text of [
    "Warm | where TimeGenerated > ago(1h) | summarize count() by Name",
    "let x = 1; Warm | extend y = strcat(Name, 'a') | join kind=inner (Warm) on Name | project y",
    "datatable(a:string)[] | union isfuzzy=true (Nope) | parse a with * 'x' b | mv-expand b",
  ]) {
    checkOne(Kusto, globals, { name: "warm-up", text });
  }
}

if (v8.startupSnapshot && v8.startupSnapshot.isBuildingSnapshot()) {
  const Kusto = loadLanguageService();
  warmUp(Kusto);
  v8.startupSnapshot.setDeserializeMainFunction(() => main(Kusto));
} else {
  main(loadLanguageService());
}
