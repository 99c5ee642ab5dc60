package signature

import "embed"

// GoldenVectors holds the golden vectors of docs/protocol.md §1.7, §2.4 and §3.3 as
// the JSON files of testdata/vectors, one file per case family, built into
// the binary so that `acsharness vectors export` works from an installed
// binary as well as from a clone. The tests read the same files.
//
//go:embed testdata/vectors/*.json
var GoldenVectors embed.FS

// GoldenVectorDir is the folder of GoldenVectors holding the files.
const GoldenVectorDir = "testdata/vectors"
