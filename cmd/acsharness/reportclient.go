package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/reports"
)

// runReportClient turns a recording of `serve --record` into a client
// conformance report. It exits 1 when the client departs from the spec.
func runReportClient(e *env, args []string) int {
	fs := flag.NewFlagSet("report client", flag.ContinueOnError)
	var (
		reportDir, color string
		asJSON           bool
	)
	fs.StringVar(&reportDir, "report-dir", "", "write client.json, client.md and client.html here")
	fs.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	fs.StringVar(&color, "color", "auto", "colour: auto, always or never")
	dirs, code := parseWithOperands(e, fs, args)
	if code >= 0 {
		return code
	}
	if len(dirs) != 1 {
		return usageError(e, "report client", "give one recording folder, written by acsharness serve --record DIR")
	}
	m, recs, err := record.Load(dirs[0])
	if err != nil {
		return usageError(e, "report client", "%v", err)
	}
	rep := record.Build(dirs[0], m, recs)
	if asJSON {
		err = reports.ClientJSON(e.stdout, rep)
	} else {
		err = reports.ClientText(e.stdout, rep, useColor(e, e.stdout, color))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness report client: %v\n", err)
		return exitInternal
	}
	if reportDir != "" {
		paths, err := reports.WriteClient(reportDir, rep)
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness report client: %v\n", err)
			return exitInternal
		}
		fmt.Fprintf(e.stderr, "reports: %s\n", strings.Join(paths, ", "))
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}
