package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/load"
)

// ConformanceFile is the file of a conformance report directory that
// ReadConformance reads.
const ConformanceFile = "report.json"

// ReadConformance reads a conformance report written by `conform
// --report-dir`: the directory, or its report.json. An error names the
// file and says what to give instead.
func ReadConformance(path string) (*conformance.Report, error) {
	file := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		file = filepath.Join(path, ConformanceFile)
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(path, load.SummaryFile)); err == nil {
				return nil, fmt.Errorf("%s is a load report (it holds summary.json): give a conformance report directory, written by `conform --report-dir`, or its %s", path, ConformanceFile)
			}
			return nil, fmt.Errorf("%s holds no %s: give a conformance report directory, written by `conform --report-dir`, or its %s", path, ConformanceFile, ConformanceFile)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w (give a conformance report directory, written by `conform --report-dir`, or its %s)", err, ConformanceFile)
	}
	return ParseConformance(b, file)
}

// ParseConformance parses report.json (name is the file's, for errors). It
// accepts reports of every version this build writes, older ones without
// warnings or rule findings included, and ignores fields it does not know;
// it refuses a report from a newer acsharness, a file that is not a
// conformance report, and cases without an id, with an unknown status or
// given twice.
func ParseConformance(b []byte, name string) (*conformance.Report, error) {
	// The format is the one ConformanceJSON writes; versions start at 1, so
	// a missing report_version reads as 0, and missing cases as nil.
	var in jsonReport
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("%s is not a conformance report.json: %s", name, jsonError(b, err))
	}
	switch {
	case in.Version == 0 || in.Cases == nil:
		return nil, fmt.Errorf("%s is not a conformance report.json (no report_version or cases): give the report.json that `conform --report-dir` writes", name)
	case in.Version > jsonVersion || in.Version < 1:
		return nil, fmt.Errorf("%s is a conformance report of version %d, and this build reads version %d: compare it with the acsharness that wrote it, or run the baseline again", name, in.Version, jsonVersion)
	}
	r := &conformance.Report{
		Tool: in.Tool, Target: in.Target, Products: in.Products, Started: in.Started, Duration: in.Duration,
		ClockOffset: in.ClockOffset, Findings: in.Findings, Strict: in.Strict,
		Totals: in.Summary.Totals, ByCategory: in.Summary.ByCategory, Results: make([]conformance.Result, 0, len(in.Cases)),
	}
	seen := make(map[string]int, len(in.Cases))
	for i, c := range in.Cases {
		res := conformance.Result{
			ID: c.ID, ScenarioID: c.Scenario, Title: c.Title, Category: c.Category, Style: c.Style, Product: c.Product,
			Spec: c.Spec, Rules: c.Rules, Status: c.Status, Expected: c.Expected, Observed: c.Observed, Reason: c.Reason,
			Duration: c.Duration, File: c.File, Line: c.Line, Findings: c.Findings, Steps: c.Steps,
		}
		if m := c.Mismatch; m != nil {
			res.Mismatch = &conformance.Mismatch{Ours: m.Ours, Theirs: m.Theirs, At: m.At}
		}
		key := conformance.CaseKey(&res)
		switch {
		case key == "":
			return nil, fmt.Errorf("%s: case %d has no id", name, i+1)
		case !slices.Contains([]string{conformance.Pass, conformance.Warn, conformance.Fail, conformance.Skip}, c.Status):
			return nil, fmt.Errorf("%s: case %s has status %q: use pass, warn, fail or skip", name, oneLine(key), oneLine(c.Status))
		}
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s: case %s is given twice (cases %d and %d)", name, oneLine(key), j+1, i+1)
		}
		seen[key] = i
		r.Results = append(r.Results, res)
	}
	return r, nil
}

// jsonError says where JSON is malformed, by line and column, and what
// is wrong there in the file's own terms (a field's path, not a Go type).
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64
	msg := err.Error()
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		msg = fmt.Sprintf("%q holds %s, where %s belongs", typ.Field, article(typ.Value), jsonKind(typ.Type.Kind()))
	default:
		return msg
	}
	// The offset is just after the byte at fault (or the value's last).
	off = min(max(off-1, 0), int64(len(b)))
	before := b[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a number"
}

func article(s string) string {
	switch s {
	case "array", "object":
		return "an " + s
	case "bool":
		return "true or false"
	}
	return "a " + s
}
