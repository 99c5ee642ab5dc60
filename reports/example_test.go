package reports_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/reports"
)

func ExampleConformanceText() {
	r := &conformance.Report{
		Tool:     "acsharness",
		Target:   "http://127.0.0.1:8080",
		Products: []string{"ons"},
		Started:  time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Duration: 0.4,
		Results: []conformance.Result{
			{ID: "signature/valid[rpc/ons]", Category: "signature", Status: conformance.Pass},
			{
				ID: "signature/roa-date[roa/ons]", Category: "signature", Status: conformance.Fail,
				Expected: "200", Observed: "400 SignatureDoesNotMatch",
				Findings: []conformance.Finding{{Rule: "sig.roa.valid", Level: conformance.Must, Step: 1, Message: "status 400 SignatureDoesNotMatch, expected 200"}},
				Mismatch: &conformance.Mismatch{Ours: "GET\n\nWed, 04 Mar 2026", Theirs: "GET\n\nwed, 04 Mar 2026", At: 5},
			},
		},
	}
	_ = reports.ConformanceText(os.Stdout, r, false)
	// Output:
	// acsharness conformance against http://127.0.0.1:8080
	// products ons · started 2026-03-04T05:06:07Z · took 0.400 s
	//
	// FAIL signature/roa-date[roa/ons]: expected 200; observed 400 SignatureDoesNotMatch
	//      [sig.roa.valid must] status 400 SignatureDoesNotMatch, expected 200
	//      string to sign differs at byte 5 (line 3, column 1):
	//        ours    "Wed, 04 Mar 2026"
	//        theirs  "wed, 04 Mar 2026"
	//                 ^
	//
	// category   cases  pass  warn  fail  skip
	// signature      2     1     0     1     0
	// total          2     1     0     1     0
	//
	// rules broken:
	//   rule           level  cases
	//   sig.roa.valid  must       1
	//
	// FAIL 1 of 2 cases failed (1 passed, 0 skipped)
}

func ExampleWriteConformance() {
	dir, _ := os.MkdirTemp("", "reports")
	defer os.RemoveAll(dir)
	paths, err := reports.WriteConformance(dir, &conformance.Report{Tool: "acsharness"})
	if err != nil {
		panic(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// report.json
	// junit.xml
	// report.md
	// report.html
}
