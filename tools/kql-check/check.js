#!/usr/bin/env node
// Checks KQL with Microsoft's Kusto language service (@kusto/language-service-next).
//
// Why a node tool: the language service is the only checker that knows the real KQL
// grammar, the built-in functions and the column names of the tables we give it.
// duckdb-kql (which executes our alert queries over fixtures) matches column names
// case-insensitively and accepts things Log Analytics rejects, so it cannot be the judge.
//
// stdin:  {"tables": {"AzureDiagnostics": "(TimeGenerated:datetime, ...)"},
//          "queries": [{"name": "tunnel-drop", "text": "AzureDiagnostics | ..."}]}
// stdout: [{"name", "ok", "diagnostics": [{message, severity, line, column, code}],
//           "suggestions": [...same shape...]}]
// Diagnostics come from two places: the parser/binder (KustoCode.GetDiagnostics: syntax,
// unknown names, wrong types, and a few warnings such as KS179 unknown operator parameter)
// and Microsoft's analyzers (KustoCodeService.GetAnalyzerDiagnostics: what the Log Analytics
// editor underlines, e.g. KS508 join without kind, KS510 a let shadowed by a column).
// "diagnostics" holds every Error and Warning and any of them makes ok false: a warning is
// how the service says "this probably does not do what you think" (issue 4: any diagnostic
// fails). "suggestions" holds Suggestion/Information-severity hints (e.g. KS500 contains
// costs more than has): reported, never fatal.
// Exit status: 0 when the run worked (whatever the verdicts), 2 on bad input.
"use strict";

const fs = require("fs");
const path = require("path");

const PKG = path.join(__dirname, "node_modules", "@kusto", "language-service-next");

function loadLanguageService() {
  // The bridge runtime defines the globals (Bridge, System) the Kusto library needs;
  // the order is fixed. Both files attach to the global object, not to module.exports.
  require(path.join(PKG, "bridge.min.js"));
  require(path.join(PKG, "Kusto.Language.Bridge.min.js"));
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

function main() {
  let request;
  try {
    request = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (err) {
    process.stderr.write(`kql-check: stdin is not JSON: ${err.message}\n`);
    process.exit(2);
  }
  if (!request || typeof request.tables !== "object" || !Array.isArray(request.queries)) {
    process.stderr.write("kql-check: expected {tables: {name: schema}, queries: [...]}\n");
    process.exit(2);
  }
  const Kusto = loadLanguageService();
  const globals = buildGlobals(Kusto, request.tables);
  const results = request.queries.map((q) => checkOne(Kusto, globals, q));
  process.stdout.write(JSON.stringify(results));
}

main();
