package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/reports"
)

const reportUsage = `usage: acsharness report merge [--report-dir DIR] [--slo 'p99<50ms' ...] SHARD_DIR...
       acsharness report diff [--regression 'p99<=+10%' ...] [--format text|markdown|json] OLD NEW
       acsharness report client [--report-dir DIR] [--json] RECORDING_DIR`

// runReport dispatches `acsharness report <verb>`.
func runReport(e *env, args []string) int {
	switch {
	case len(args) > 0 && args[0] == "merge":
		return runReportMerge(e, args[1:])
	case len(args) > 0 && args[0] == "diff":
		return runReportDiff(e, args[1:])
	case len(args) > 0 && args[0] == "client":
		return runReportClient(e, args[1:])
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprintln(e.stdout, reportUsage)
		return exitOK
	case len(args) > 0:
		fmt.Fprintf(e.stderr, "acsharness report: unknown verb %q%s\n", args[0], didYouMean(args[0], []string{"merge", "diff", "client"}, ""))
		return exitUsage
	}
	fmt.Fprintln(e.stderr, reportUsage)
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
	sum.Failure = load.Explain(e.ctx, sum, nil, false)
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
	switch {
	case !met:
		return exitSLO
	case sum.Failure != "":
		return exitFailed
	}
	return exitOK
}

// reportKind is what a report directory (or file) holds.
type reportKind int

const (
	kindLoad        reportKind = iota + 1 // summary.json of load or report merge
	kindConformance                       // report.json of conform
)

// kindOf tells a load report from a conformance report by what the
// directory holds (or the file's name), and explains what it expected
// otherwise.
func kindOf(path string) (reportKind, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	name := filepath.Base(path)
	if st.IsDir() {
		for _, k := range []struct {
			file string
			kind reportKind
		}{{load.SummaryFile, kindLoad}, {"report.json", kindConformance}} {
			if _, err := os.Stat(filepath.Join(path, k.file)); err == nil {
				return k.kind, nil
			}
		}
		name = ""
	}
	switch name {
	case load.SummaryFile:
		return kindLoad, nil
	case "report.json":
		return kindConformance, nil
	}
	return 0, fmt.Errorf("%s is neither a load report (a directory holding %s, written by `load --report-dir` or `report merge`) nor a conformance report (a directory holding report.json, written by `conform --report-dir`)",
		path, load.SummaryFile)
}

// runReportDiff compares two report directories: a load run with its
// baseline (merged distributed runs included), with the same figures,
// significance tests and --regression thresholds as `load --baseline`.
func runReportDiff(e *env, args []string) int {
	fs := flag.NewFlagSet("report diff", flag.ContinueOnError)
	var (
		regressions   multiFlag
		format, color string
	)
	fs.Var(&regressions, "regression", "threshold relative to OLD, e.g. 'p99<=+10%', 'success>=-0.1%' (repeatable); a significant breach exits 3")
	fs.StringVar(&format, "format", "text", "output: text, markdown (for $GITHUB_STEP_SUMMARY) or json")
	fs.StringVar(&color, "color", "auto", "colour: auto, always or never")
	paths, code := parseInterspersed(e, fs, args)
	if code >= 0 {
		return code
	}
	if len(paths) != 2 {
		return usageError(e, "report diff", "give two report directories, OLD then NEW, e.g. report diff out/baseline out/load")
	}
	if err := checkChoices("format", []string{format}, []string{"text", "markdown", "json"}); err != nil {
		return usageError(e, "report diff", "%v", err)
	}
	regs, err := load.ParseRegressions(regressions)
	if err != nil {
		return usageError(e, "report diff", "%v", err)
	}
	var kinds [2]reportKind
	for i, p := range paths {
		if kinds[i], err = kindOf(p); err != nil {
			return usageError(e, "report diff", "%v", err)
		}
	}
	switch {
	case kinds[0] != kinds[1]:
		return usageError(e, "report diff", "%s and %s are reports of different kinds (one load, one conformance): compare two of a kind", paths[0], paths[1])
	case kinds[0] == kindConformance:
		return runReportDiffConformance(e, paths[0], paths[1], format, color, regressions)
	}
	var sums [2]*load.Summary
	for i, p := range paths {
		if sums[i], err = load.ReadSummary(p); err != nil {
			return usageError(e, "report diff", "%v", err)
		}
	}
	d := load.Compare(paths[0], sums[0], sums[1], regs)
	switch format {
	case "json":
		err = reports.LoadDiffJSON(e.stdout, d)
	case "markdown":
		err = reports.LoadDiffMarkdown(e.stdout, d)
	default:
		err = reports.LoadDiffText(e.stdout, d, useColor(e, e.stdout, color))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness report diff: %v\n", err)
		return exitInternal
	}
	if !d.Met() {
		return exitSLO
	}
	return exitOK
}
