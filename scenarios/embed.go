// Package scenarios holds the built-in conformance suite, one YAML file per
// category, and the rules they check (rules.yaml), embedded in the binary.
// The formats are described by schema.json and rules.schema.json (JSON
// Schema, for editors) and loaded strictly by package conformance.
package scenarios

import "embed"

// FS holds the built-in scenario files and the rules file; the scenario
// loaders skip the rules file (its only key is `rules`).
//
//go:embed *.yaml
var FS embed.FS

// Schema is the JSON Schema of the scenario format, for editors (point a
// YAML language server at scenarios/schema.json) and for tests that keep
// it in step with the loader.
//
//go:embed schema.json
var Schema []byte

// Rules is rules.yaml: every rule of the protocol a client can observe,
// its level and sources.
//
//go:embed rules.yaml
var Rules []byte

// RulesSchema is the JSON Schema of rules.yaml.
//
//go:embed rules.schema.json
var RulesSchema []byte
