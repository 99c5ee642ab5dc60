package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/reports"
)

const reportUsage = `usage: acsharness report merge [--report-dir DIR] [--slo 'p99<50ms' ...] SHARD_DIR...
       acsharness report diff [--regression 'p99<=+10%' ...] [--format text|markdown|json] OLD NEW`

// runReport dispatches `acsharness report <verb>`.
func runReport(e *env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "merge":
			return runReportMerge(e, args[1:])
		case "diff":
			return runReportDiff(e, args[1:])
		case "-h", "--help", "help":
			fmt.Fprintln(e.stdout, reportUsage)
			return exitOK
		}
	}
	fmt.Fprintln(e.stderr, reportUsage)
	return exitUsage
}

// parseAround parses flags that may come before, between or after the
// positional arguments, as in `report merge out/shard-* --report-dir
// out/merged` (where a shell glob puts them): the flag package stops at the
// first positional argument, so parse around each one.
func parseAround(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
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
	fs.SetOutput(e.stderr)
	dirs, err := parseAround(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
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
	fs.SetOutput(e.stderr)
	paths, err := parseAround(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
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
		return usageError(e, "report diff", "%s and %s are conformance reports: this build compares load reports only (summary.json)", paths[0], paths[1])
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
