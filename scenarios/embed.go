// Package scenarios holds the built-in conformance suite, one YAML file per
// category, embedded in the binary. The format is described by schema.json
// (JSON Schema, for editors) and loaded strictly by package conformance.
package scenarios

import "embed"

// FS holds the built-in scenario files.
//
//go:embed *.yaml
var FS embed.FS

// Schema is the JSON Schema of the scenario format, for editors (point a
// YAML language server at scenarios/schema.json) and for tests that keep
// it in step with the loader.
//
//go:embed schema.json
var Schema []byte
