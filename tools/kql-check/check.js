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
//           "warnings": [...same shape...]}]
// ok is false only for error-severity diagnostics; warnings are reported, never fatal.
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

function checkOne(Kusto, globals, query) {
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(query.text, globals);
  const errors = [];
  const warnings = [];
  for (const d of toArray(code.GetDiagnostics())) {
    const where = d.HasLocation ? lineAndColumn(query.text, d.Start) : { line: 0, column: 0 };
    const item = {
      message: d.Message,
      severity: d.Severity,
      code: d.Code,
      line: where.line,
      column: where.column,
    };
    (d.Severity === "Error" ? errors : warnings).push(item);
  }
  return { name: query.name, ok: errors.length === 0, diagnostics: errors, warnings };
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
