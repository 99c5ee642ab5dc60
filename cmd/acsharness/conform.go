package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/reports"
	"github.com/acsharness/acsharness/scenarios"
	"github.com/acsharness/acsharness/signature"
)

// conformFlags are the options of `acsharness conform`.
type conformFlags struct {
	targetFlags
	baselineFlags
	products, styles, categories, ids, paths listFlag
	noBuiltin, list, rules, quiet            bool
	strict, long                             bool
	reportDir, color                         string
	concurrency                              int
	timeout, skew                            time.Duration
}

func (c *conformFlags) register(fs *flag.FlagSet) {
	c.targetFlags.register(fs)
	c.baselineFlags.register(fs)
	fs.Var(&c.products, "product", "run only these products (repeatable or comma-separated: onsmqtt or mqtt, amqp-open or rabbitmq, or a --profile's product)")
	fs.Var(&c.styles, "style", "run only these styles (rpc, roa, v3)")
	fs.Var(&c.categories, "category", "run only these categories ("+strings.Join(conformance.Categories, ", ")+")")
	fs.Var(&c.ids, "scenario", "run only these scenario ids or globs (repeatable), e.g. 'nonce/*'")
	fs.Var(&c.paths, "scenarios", "scenario file or folder to add to the built-in suite (repeatable)")
	fs.BoolVar(&c.noBuiltin, "no-builtin", false, "run only the --scenarios files, not the built-in suite")
	fs.BoolVar(&c.list, "list", false, "list the scenarios with their categories and exit")
	fs.BoolVar(&c.rules, "rules", false, "with --list: list the rules instead, each with its level and the cases that check it")
	fs.BoolVar(&c.strict, "strict", false, "fail on a should rule too (a warning by default): the real gateway's exact forms")
	fs.BoolVar(&c.long, "long", false, "add the replay-window check: waits about twice the target's skew window (30 minutes for ±15 min; see --skew)")
	fs.DurationVar(&c.skew, "skew", conformance.DefaultSkew, "the target's clock-skew window, for --long (a target set to 20s is checked in under a minute)")
	fs.StringVar(&c.reportDir, "report-dir", "", "write report.json, junit.xml, report.md and report.html here")
	fs.IntVar(&c.concurrency, "concurrency", 8, "cases run at once")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.StringVar(&c.color, "color", "auto", "colour: auto (on a terminal, not with NO_COLOR or CI=true), always or never")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the totals")
}

// builtinSuite returns the built-in suite, parsed once per process: it is
// compiled in and never changes, and parsing its YAML is most of what a
// conform, load or selftest that stops at a flag costs (about 80 ms under
// -race, where make test runs a few hundred of them in one process). Each
// caller gets its own slice, to append to; the scenarios in it are shared
// and only read.
func builtinSuite() ([]conformance.Scenario, error) {
	sc, err := parsedBuiltin()
	return slices.Clone(sc), err
}

var parsedBuiltin = sync.OnceValues(func() ([]conformance.Scenario, error) {
	return conformance.LoadFS(scenarios.FS, ".", nil)
})

// loadSuite loads the built-in and --scenarios files, and checks the
// selection against them.
func (c *conformFlags) loadSuite(profiles []conformance.Profile) ([]conformance.Scenario, conformance.Selection, error) {
	var sel conformance.Selection
	codes := conformance.ProductCodes(profiles)
	var all []conformance.Scenario
	if !c.noBuiltin {
		sc, err := builtinSuite()
		if err != nil {
			return nil, sel, fmt.Errorf("built-in suite: %w", err)
		}
		all = sc
	} else if len(c.paths) == 0 {
		return nil, sel, errors.New("--no-builtin needs at least one --scenarios file or folder")
	}
	if len(c.paths) > 0 {
		extra, err := conformance.LoadPaths(c.paths, codes)
		if err != nil {
			return nil, sel, err
		}
		all = append(all, extra...)
		if problems := conformance.Validate(all, nil); len(problems) > 0 {
			return nil, sel, &conformance.LoadError{Problems: problems}
		}
	}
	products, err := productCodes(c.products, codes)
	if err != nil {
		return nil, sel, err
	}
	if err := checkChoices("category", c.categories, conformance.Categories); err != nil {
		return nil, sel, err
	}
	for _, s := range c.styles {
		st, err := signature.ParseStyle(s)
		if err != nil {
			return nil, sel, fmt.Errorf("--style: %w", err)
		}
		sel.Styles = append(sel.Styles, st)
	}
	sel.Products, sel.Categories, sel.IDs = products, c.categories, c.ids
	if len(c.ids) > 0 {
		for _, pat := range c.ids {
			if len(conformance.Expand(all, profiles, conformance.Selection{IDs: []string{pat}})) == 0 {
				return nil, sel, fmt.Errorf("--scenario %q matches no scenario: see `acsharness conform --list`", pat)
			}
		}
	}
	if len(conformance.Expand(all, profiles, sel)) == 0 {
		return nil, sel, c.nothingSelected(all, profiles, sel)
	}
	return all, sel, nil
}

// nothingSelected says what made a selection of no case: scenario files
// that hold none, or the filter (or the filters together) that matched
// nothing. A run of no case tests nothing and must not pass in CI.
func (c *conformFlags) nothingSelected(all []conformance.Scenario, profiles []conformance.Profile, sel conformance.Selection) error {
	if len(all) == 0 {
		return fmt.Errorf("no case to run: --scenarios %s holds no scenario, and --no-builtin leaves out the built-in suite", strings.Join(c.paths, ", "))
	}
	filters := []struct {
		flag   string
		values []string
		only   conformance.Selection
	}{
		{"--product", c.products, conformance.Selection{Products: sel.Products}},
		{"--style", c.styles, conformance.Selection{Styles: sel.Styles}},
		{"--category", sel.Categories, conformance.Selection{Categories: sel.Categories}},
		{"--scenario", sel.IDs, conformance.Selection{IDs: sel.IDs}},
	}
	var given []string
	for _, f := range filters {
		if len(f.values) == 0 {
			continue
		}
		named := f.flag + " " + strings.Join(f.values, ",")
		if len(conformance.Expand(all, profiles, f.only)) == 0 {
			return fmt.Errorf("no case to run: %s matches no case of the %d scenarios loaded for %s: see `acsharness conform --list`",
				named, len(all), strings.Join(conformance.ProductCodes(profiles), ", "))
		}
		given = append(given, named)
	}
	return fmt.Errorf("no case to run: %s match no case together: see `acsharness conform --list` with each", strings.Join(given, " and "))
}

func runConform(e *env, args []string) int {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	var c conformFlags
	c.register(fs)
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	profiles, err := c.loadProfiles()
	if err != nil {
		return usageError(e, "conform", "%v", err)
	}
	suite, sel, err := c.loadSuite(profiles)
	if err != nil {
		return usageError(e, "conform", "%v", err)
	}
	if err := c.checkRuleFlags(fs); err != nil {
		return usageError(e, "conform", "%v", err)
	}
	if err := c.loadBaseline(c.list); err != nil {
		return usageError(e, "conform", "%v", err)
	}
	rules, err := conformance.BuiltinRules()
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
		return exitInternal
	}
	switch {
	case c.list && c.rules:
		printRules(e, rules, suite, profiles, sel)
		return exitOK
	case c.list:
		printScenarios(e, suite, profiles, sel)
		return exitOK
	}
	if err := checkReportDir(c.reportDir); err != nil {
		return usageError(e, "conform", "%v", err)
	}
	tgt, err := c.resolve(e, profiles)
	if err != nil {
		return usageError(e, "conform", "%v", err)
	}
	defer tgt.close()
	rep, err := conformance.Run(e.ctx, conformance.Options{
		Target: tgt.url, Credentials: tgt.creds, InactiveKeyID: tgt.inactive, SecondKey: tgt.second, ThrottledKey: tgt.throttled, STSKey: tgt.sts,
		Profiles: profiles, Scenarios: suite, Select: sel, Concurrency: c.concurrency, Timeout: c.timeout,
		Insecure: tgt.tls.insecure, RootCAs: tgt.tls.rootCAs,
		Rules: rules, Strict: c.strict, Long: c.long, Skew: c.skew,
	})
	var unreachable *conformance.UnreachableError
	switch {
	case errors.As(err, &unreachable):
		fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
		return exitUnreachable
	case err != nil:
		return usageError(e, "conform", "%v", err)
	}
	if tgt.embedded != nil {
		rep.Target = "embedded reference gateway (" + tgt.url + ")"
	}
	rep = reports.RedactSecrets(rep, tgt.secrets()...)
	code := exitOK
	if rep.Failed() {
		code = exitFailed
	}
	if t := rep.Totals; t.Pass+t.Fail == 0 && e.ctx.Err() == nil {
		defer fmt.Fprintf(e.stderr, "acsharness conform: no case ran: all %d selected cases were skipped (the reasons are above): nothing was tested\n", t.Cases)
		code = exitUsage
	}
	if !c.quiet {
		if err := reports.ConformanceText(e.stdout, rep, useColor(e, e.stdout, c.color)); err != nil {
			fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
		}
	} else {
		t := rep.Totals
		fmt.Fprintf(e.stdout, "%d cases: %d passed, %d warned, %d failed, %d skipped\n", t.Cases, t.Pass, t.Warn, t.Fail, t.Skip)
	}
	interrupted := rep.Interrupted
	if c.reportDir != "" {
		paths, err := reports.WriteConformance(c.reportDir, rep)
		if len(paths) > 0 {
			fmt.Fprintf(e.stdout, "reports: %s\n", strings.Join(paths, ", "))
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness conform: %v\n", err)
			if interrupted {
				return exitInterrupted
			}
			return exitInternal
		}
	}
	code = c.gate(e, rep, c.reportDir, c.quiet, useColor(e, e.stdout, c.color), code)
	if interrupted {
		// Like load: an interrupted run is neither a pass nor a failure of
		// the target; the cases it cut short are skipped as interrupted.
		fmt.Fprintln(e.stderr, "acsharness conform: interrupted; the reports, marked interrupted, cover the cases that ran")
		return exitInterrupted
	}
	return code
}

// checkRuleFlags rejects --rules without --list, and --skew without --long
// (the skew is only the long check's input), naming both flags.
func (c *conformFlags) checkRuleFlags(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case c.rules && !c.list:
		return errors.New("--rules lists the rules: use it with --list")
	case set["skew"] && !c.long:
		return errors.New("--skew tells the --long replay-window check the target's window: add --long, or drop --skew")
	case c.skew < time.Second:
		return fmt.Errorf("--skew %s: give the target's window, at least 1s (the documented one is 15m)", c.skew)
	}
	return nil
}

// printRules prints the rule table: each rule, its level, how many cases
// of the selection check it and the scenarios they come from, then the
// count of must and should rules no case checks.
func printRules(e *env, rules *conformance.Rules, suite []conformance.Scenario, profiles []conformance.Profile, sel conformance.Selection) {
	rows := conformance.Coverage(rules, suite, profiles, sel)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tLEVEL\tCASES\tCHECKED BY")
	levels := map[conformance.Level]int{}
	for _, row := range rows {
		levels[row.Rule.Level]++
		by := conformance.ScenarioList(row.Scenarios, 3)
		switch how := conformance.CheckedHow(row.Rule); {
		case how != "" && by != "":
			by += "; also " + how
		case how != "":
			by = how
		case by == "":
			by = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", row.Rule.ID, row.Rule.Level, len(row.Cases), by)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d rules: %d must, %d should, %d may\n", len(rows), levels[conformance.Must], levels[conformance.Should], levels[conformance.May])
	if missing := conformance.Uncovered(rows); len(missing) > 0 {
		fmt.Fprintf(e.stdout, "no case of this selection checks %d must or should rules: %s\n", len(missing), strings.Join(missing, ", "))
	}
}

func printScenarios(e *env, suite []conformance.Scenario, profiles []conformance.Profile, sel conformance.Selection) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCATEGORY\tCASES\tTITLE")
	n, cases := 0, 0
	for i := range suite {
		s := suite[i]
		k := len(conformance.Expand([]conformance.Scenario{s}, profiles, sel))
		if k == 0 {
			continue
		}
		n++
		cases += k
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.ID, s.Category, k, s.Title)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d scenarios, %d cases\n", n, cases)
}
