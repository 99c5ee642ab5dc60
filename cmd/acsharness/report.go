package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/reports"
)

// runReport dispatches `acsharness report <verb>`.
func runReport(e *env, args []string) int {
	const usage = "usage: acsharness report merge [--report-dir DIR] [--slo 'p99<50ms' ...] SHARD_DIR...\n" +
		"       acsharness report client [--report-dir DIR] [--json] RECORDING_DIR"
	switch {
	case len(args) > 0 && args[0] == "merge":
		return runReportMerge(e, args[1:])
	case len(args) > 0 && args[0] == "client":
		return runReportClient(e, args[1:])
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprintln(e.stdout, usage)
		return exitOK
	case len(args) > 0:
		fmt.Fprintf(e.stderr, "acsharness report: unknown verb %q%s\n", args[0], didYouMean(args[0], []string{"merge", "client"}, ""))
		return exitUsage
	}
	fmt.Fprintln(e.stderr, usage)
	return exitUsage
}

// runReportMerge merges the shards of a distributed load run into one
// report and one SLO verdict.
func runReportMerge(e *env, args []string) int {
	fs := flag.NewFlagSet("report merge", flag.ContinueOnError)
	var (
		reportDir, color string
		slos, sloFiles   multiFlag
	)
	fs.StringVar(&reportDir, "report-dir", "", "write the merged summary.json, latency.hgrm and load.html here")
	fs.Var(&slos, "slo", "SLO threshold (repeatable); default: the SLOs the shards ran with")
	fs.Var(&sloFiles, "slo-file", "file of SLO thresholds, one per line")
	fs.StringVar(&color, "color", "auto", "colour: auto, always or never")
	// Flags may follow the directories (out/shard-* --report-dir out/merged).
	dirs, code := parseInterspersed(e, fs, args)
	if code >= 0 {
		return code
	}
	if len(dirs) == 0 {
		return usageError(e, "report merge", "give the shard directories to merge, e.g. out/shard-0 out/shard-1")
	}
	thresholds, err := load.ParseSLOs(slos, sloFiles)
	if err != nil {
		return usageError(e, "report merge", "%v", err)
	}
	sum, manifests, err := load.Merge(dirs)
	if err != nil {
		return usageError(e, "report merge", "%v", err)
	}
	if len(thresholds) == 0 {
		if thresholds, err = load.ParseSLOs(manifests[0].SLOs, nil); err != nil {
			return usageError(e, "report merge", "shard SLOs: %v", err)
		}
	}
	met := sum.CheckSLOs(thresholds)
	fmt.Fprintf(e.stdout, "merged %d shards of run %s\n", len(manifests), manifests[0].ConfigHash)
	_ = reports.LoadText(e.stdout, sum, useColor(e, e.stdout, color))
	if reportDir != "" {
		paths, err := reports.WriteLoad(reportDir, sum)
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness report merge: %v\n", err)
			return exitInternal
		}
		fmt.Fprintf(e.stdout, "reports: %s\n", strings.Join(paths, ", "))
	}
	if !met {
		return exitSLO
	}
	return exitOK
}
