package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/reports"
)

// runSelftest proves the suite's power: the whole suite against the
// reference gateway must pass without a warning, and against the gateway
// started with each fault of its catalogue a case that passed must fail
// (or warn) naming a rule the fault breaks.
func runSelftest(e *env, args []string) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	var (
		reportDir, color string
		asJSON           bool
		concurrency      int
		parallel         int
		faults           listFlag
	)
	fs.StringVar(&reportDir, "report-dir", "", "write selftest.json and the baseline's conformance reports here")
	fs.BoolVar(&asJSON, "json", false, "print the matrix as JSON")
	fs.IntVar(&concurrency, "concurrency", 8, "cases run at once, in each run")
	fs.IntVar(&parallel, "parallel", 4, "faulty gateways run at once")
	fs.Var(&faults, "fault", "run only these faults (repeatable; default: the whole catalogue)")
	fs.StringVar(&color, "color", "auto", "colour: auto, always or never")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	suite, err := builtinSuite()
	if err != nil {
		return usageError(e, "selftest", "built-in suite: %v", err)
	}
	var catalogue []conformance.Fault
	var names []string
	for _, f := range gateway.Faults() {
		names = append(names, string(f.Fault))
		if len(faults) == 0 || slices.Contains(faults, string(f.Fault)) {
			catalogue = append(catalogue, conformance.Fault{Name: string(f.Fault), Category: f.Category, About: f.About, Rules: f.Rules})
		}
	}
	if err := checkChoices("fault", faults, names); err != nil {
		return usageError(e, "selftest", "%v", err)
	}
	start := time.Now()
	demo := gateway.Demo()
	rep, err := conformance.SelfTest(e.ctx, conformance.SelfTestOptions{
		Run: conformance.Options{
			Credentials:   demo.Main,
			InactiveKeyID: demo.InactiveID,
			SecondKey:     &demo.Second,
			ThrottledKey:  &demo.Throttled,
			STSKey:        &demo.STS,
			Profiles:      conformance.BuiltinProfiles(),
			Scenarios:     suite,
			Concurrency:   concurrency,
		},
		Faults:   catalogue,
		Start:    startFaultyGateway,
		Parallel: parallel,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness selftest: %v\n", err)
		return exitInternal
	}
	if asJSON {
		err = reports.SelftestJSON(e.stdout, rep)
	} else {
		err = reports.SelftestText(e.stdout, rep, useColor(e, e.stdout, color))
		fmt.Fprintf(e.stdout, "selftest took %s\n", time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness selftest: %v\n", err)
		return exitInternal
	}
	if reportDir != "" {
		if _, err := reports.WriteConformance(filepath.Join(reportDir, "baseline"), rep.Baseline); err != nil {
			fmt.Fprintf(e.stderr, "acsharness selftest: %v\n", err)
			return exitInternal
		}
		f, err := os.Create(filepath.Join(reportDir, "selftest.json"))
		if err == nil {
			err = reports.SelftestJSON(f, rep)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness selftest: %v\n", err)
			return exitInternal
		}
	}
	if !rep.Passed() {
		return exitFailed
	}
	return exitOK
}

// startFaultyGateway starts the reference gateway in-process with one fault.
func startFaultyGateway(fault string) (string, func() error, error) {
	cfg := gateway.Config{}
	if fault != "" {
		cfg.Faults = []gateway.Fault{gateway.Fault(fault)}
	}
	l, err := gateway.StartLocal(cfg)
	if err != nil {
		return "", nil, err
	}
	return l.URL, l.Close, nil
}
