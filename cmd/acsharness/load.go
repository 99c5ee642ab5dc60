package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/reports"
	"github.com/acsharness/acsharness/signature"
)

// loadFlags are the options of `acsharness load`.
type loadFlags struct {
	targetFlags
	product, action, method, path, format string
	params                                multiFlag
	styles, mix, scenarioPaths            listFlag
	rate, ramp, steps                     string
	duration                              time.Duration
	requests                              uint64
	workers, maxWorkers                   uint64
	connections                           int
	timeout                               time.Duration
	slos, sloFiles, regressions           multiFlag
	baseline                              string
	reportDir, metricsAddr, pushgateway   string
	shard, startAt                        string
	quiet                                 bool
	color                                 string
	progressEvery                         time.Duration
	// set holds the flags given on the command line, to tell a default
	// from a choice.
	set map[string]bool
}

func (l *loadFlags) register(fs *flag.FlagSet) {
	l.targetFlags.register(fs)
	fs.StringVar(&l.product, "product", "", "product profile whose action and Host to use: onsmqtt or mqtt, amqp-open or rabbitmq, or a --profile's product (default: the first profile)")
	fs.Var(&l.styles, "style", "signing style: rpc, roa or v3; several (comma-separated or repeated) share the rate equally (default rpc)")
	fs.StringVar(&l.action, "action", "", "API action (default: the profile's probe; for roa its route)")
	fs.StringVar(&l.method, "method", "", "HTTP method (default: the action's)")
	fs.StringVar(&l.path, "path", "", "ROA or V3 path (default: the profile's route for roa)")
	fs.StringVar(&l.format, "format", "", "response format asked for: JSON or XML")
	fs.Var(&l.params, "param", "API parameter K=V (repeatable; replaces the profile's)")
	fs.Var(&l.mix, "scenario", "scenario ID=WEIGHT of a weighted mix instead of --action (repeatable); the ids are listed by: acsharness conform --list")
	fs.Var(&l.scenarioPaths, "scenarios", "scenario file or folder to draw --scenario ids from, besides the built-in suite")
	fs.StringVar(&l.rate, "rate", "50/s", "constant rate, e.g. 2000/s; 0 sends as fast as --workers allow")
	fs.StringVar(&l.ramp, "ramp", "", "linear ramp FROM:TO over --duration, e.g. 100/s:5000/s")
	fs.StringVar(&l.steps, "steps", "", "rate steps RATE@DURATION,..., e.g. 1000/s@30s,2000/s@30s")
	fs.DurationVar(&l.duration, "duration", 0, "how long to send (default 10s, or the steps' total)")
	fs.Uint64Var(&l.requests, "requests", 0, "stop after this many requests (0: no bound)")
	fs.Uint64Var(&l.workers, "workers", 10, "initial workers; with --rate 0, the fixed number of workers")
	fs.Uint64Var(&l.maxWorkers, "max-workers", defaultMaxWorkers, "workers at most; a stalled target cannot then exhaust memory and file handles, and requests the bound delays are counted late (0: unbounded)")
	fs.IntVar(&l.connections, "connections", 10000, "idle connections kept open")
	fs.DurationVar(&l.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.Var(&l.slos, "slo", "SLO threshold, e.g. 'p99<50ms', 'success>=99.9%', 'rate>=1900/s', 'sign_p99<20us' (repeatable)")
	fs.Var(&l.sloFiles, "slo-file", "file of SLO thresholds, one per line (# comments)")
	fs.StringVar(&l.baseline, "baseline", "", "compare with a previous run: its --report-dir (or its summary.json); each figure is shown next to the baseline's with the change and its significance")
	fs.Var(&l.regressions, "regression", "threshold relative to --baseline, e.g. 'p99<=+10%', 'success>=-0.1%', 'throughput>=-5%', 'p99<=+5ms' (repeatable); a significant breach exits 3")
	fs.StringVar(&l.reportDir, "report-dir", "", "write summary.json, latency.hgrm, results.bin (vegeta encoding) and load.html here")
	fs.StringVar(&l.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics at http://ADDR/metrics")
	fs.StringVar(&l.pushgateway, "pushgateway", "", "push the final metrics to this Prometheus Pushgateway URL")
	fs.StringVar(&l.shard, "shard", "", "run shard INDEX/TOTAL of a distributed run (default from $JOB_COMPLETION_INDEX and $ACSHARNESS_SHARDS)")
	fs.StringVar(&l.startAt, "start-at", "", "start at this RFC 3339 time (shards of a run start together)")
	fs.BoolVar(&l.quiet, "quiet", false, "no progress while running")
	fs.StringVar(&l.color, "color", "auto", "colour: auto, always or never")
	fs.DurationVar(&l.progressEvery, "progress-every", 0, "progress line interval (default 1s on a terminal, 5s otherwise)")
}

func runLoad(e *env, args []string) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	l.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { l.set[f.Name] = true })
	plan, err := l.plan(e)
	if err != nil {
		return usageError(e, "load", "%v", err)
	}
	tgt, err := l.resolve(e, plan.profiles)
	if err != nil {
		return usageError(e, "load", "%v", err)
	}
	defer tgt.close()
	clockOffset, err := probe(e.ctx, tgt.url, tgt.tls.config())
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness load: %v\n", err)
		return exitUnreachable
	}
	if f := conformance.ClockFinding(clockOffset); f != "" {
		fmt.Fprintf(e.stderr, "acsharness load: %s\n", f)
	}
	nonces := signature.NewNonceSource()
	hash := load.ConfigHash(plan.fingerprint...)
	if plan.shard.Of > 1 {
		nonces = signature.NewShardNonceSource(uint16(plan.shard.Index), load.RunID(hash))
	}
	items, err := l.items(tgt, plan, nonces)
	if err != nil {
		return usageError(e, "load", "%v", err)
	}

	reg := prometheus.NewRegistry()
	metrics, err := load.NewMetrics(reg)
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness load: %v\n", err)
		return exitInternal
	}
	if l.metricsAddr != "" {
		stop, err := serveMetrics(l.metricsAddr, reg)
		if err != nil {
			return usageError(e, "load", "--metrics-addr: %v", err)
		}
		defer stop()
	}
	var results *resultsFile
	if l.reportDir != "" {
		if results, err = createResults(l.reportDir); err != nil {
			return usageError(e, "load", "--report-dir: %v", err)
		}
		defer results.discard()
	}
	opts := load.Options{
		Target: tgt.url, Items: items, Style: plan.styleLabel, Workload: plan.workload, Schedule: plan.schedule,
		Duration: plan.duration, Requests: l.requests, Workers: l.workers, MaxWorkers: plan.maxWorkers,
		Connections: l.connections, Timeout: l.timeout, Insecure: tgt.tls.insecure, RootCAs: tgt.tls.rootCAs, StartAt: plan.startAt,
		Metrics: metrics,
	}
	if results != nil {
		opts.Results = results.f
	}
	if !l.quiet {
		opts.Progress, opts.ProgressEvery = progressPrinter(e, l.progressEvery)
	}
	sum, runErr := load.Run(e.ctx, opts)
	if !l.quiet && opts.Progress != nil && useColor(e, e.stderr, "auto") {
		fmt.Fprintln(e.stderr)
	}
	var past *load.StartAtPastError
	switch {
	case errors.As(runErr, &past):
		return usageError(e, "load", "%v", runErr)
	case sum == nil && e.ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "acsharness load: interrupted before the run started; nothing was sent")
		return exitInterrupted
	case sum == nil:
		fmt.Fprintf(e.stderr, "acsharness load: %v\n", runErr)
		return exitInternal
	}
	failed := false // a report or the push was not written
	if runErr != nil {
		fmt.Fprintf(e.stderr, "acsharness load: %v (results.bin is not written; the other reports cover the whole run)\n", runErr)
		failed = true
	}
	if tgt.embedded != nil {
		sum.Target = "embedded reference gateway (" + tgt.url + ")"
	}
	if sum.StartLate > 0 {
		fmt.Fprintf(e.stderr, "acsharness load: started %s after --start-at (within the %s grace)\n",
			time.Duration(sum.StartLate*float64(time.Second)).Round(time.Millisecond), load.StartAtGrace)
	}
	sum.Failure = load.Explain(e.ctx, sum, items, l.insecure)
	met := sum.CheckSLOs(plan.slos)
	if plan.baseline != nil {
		sum.Comparison = load.Compare(l.baseline, plan.baseline, sum, plan.regressions)
		met = met && sum.Comparison.Met()
	}
	_ = reports.LoadText(e.stdout, sum, useColor(e, e.stdout, l.color))
	if sum.Late > 0 || sum.Dropped > 0 {
		fmt.Fprintf(e.stderr, "acsharness load: the generator could not keep the schedule: %d requests were sent more than %s late, %d never sent: %s\n",
			sum.Late, time.Duration(sum.LateAfter*float64(time.Second)), sum.Dropped, lateAdvice(sum.Generator))
	}
	if l.reportDir != "" {
		var written []string
		if runErr == nil && results != nil {
			if err := results.commit(); err != nil {
				fmt.Fprintf(e.stderr, "acsharness load: %v\n", err)
				failed = true
			} else {
				written = append(written, results.path)
			}
		}
		paths, err := reports.WriteLoad(l.reportDir, sum)
		written = append(paths, written...)
		if err == nil && plan.shard.Of > 0 {
			var m *load.Manifest
			m, err = load.NewManifest(sum, plan.shard, hash, plan.startAt, clockOffset, plan.slos, "results.bin")
			if err == nil {
				if err = load.WriteManifest(l.reportDir, m); err == nil {
					written = append(written, filepath.Join(l.reportDir, load.ManifestFile))
				}
			}
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness load: %v\n", err)
			failed = true
		}
		if len(written) > 0 {
			fmt.Fprintf(e.stdout, "reports: %s\n", strings.Join(written, ", "))
		}
	}
	if l.pushgateway != "" {
		grouping := map[string]string{"workload": plan.workload}
		if plan.shard.Of > 1 {
			grouping["shard"] = strconv.Itoa(plan.shard.Index)
		}
		if err := load.Push(l.pushgateway, "acsharness_load", reg, grouping); err != nil {
			fmt.Fprintf(e.stderr, "acsharness load: --pushgateway: %v\n", err)
			failed = true
		}
	}
	return loadExitCode(e, sum, met, failed)
}

// loadExitCode is the verdict of a run, the first that applies: 105 when
// interrupted (whatever was gathered is not the run asked for), 5 when a
// report or the push failed, 3 when an SLO was breached, 1 when no request
// met its expectation (a run that measured nothing is no pass, SLOs or
// not), else 0.
func loadExitCode(e *env, sum *load.Summary, met, failed bool) int {
	switch {
	case sum.Interrupted:
		fmt.Fprintln(e.stderr, "acsharness load: interrupted; every report covers what was gathered and is marked interrupted")
		return exitInterrupted
	case failed:
		return exitInternal
	case !met:
		return exitSLO
	case sum.Failure != "":
		return exitFailed
	}
	return exitOK
}

// lateAdvice says what held the generator back.
func lateAdvice(g load.GeneratorCost) string {
	switch g.Limit {
	case "workers":
		return fmt.Sprintf("all %d workers were busy (--max-workers): raise it, or lower the rate", g.MaxWorkers)
	case "cpu":
		return fmt.Sprintf("the CPU was the limit (%.0f%% of the cores busy): run shards on more machines (--shard) or lower the rate", g.CPUBusy*100)
	}
	return fmt.Sprintf("neither the workers (%d of %d busy at most) nor the CPU (%.0f%% busy) were at their limit: the machine stalled (another process?) or the target's answers were slow to arrive",
		g.PeakInFlight, g.MaxWorkers, g.CPUBusy*100)
}

// resultsFile is results.bin as the run writes it: under a temporary name
// until the run has ended well, so that a failed write (a full disk)
// leaves no truncated file that vegeta cannot read.
type resultsFile struct {
	f    *os.File
	path string
}

func createResults(dir string) (*resultsFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "results.bin")
	f, err := os.Create(path + ".partial")
	if err != nil {
		return nil, err
	}
	return &resultsFile{f: f, path: path}, nil
}

// commit closes the file and gives it its name.
func (r *resultsFile) commit() error {
	err := r.f.Close()
	if err == nil {
		err = os.Rename(r.f.Name(), r.path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", r.path, err)
	}
	r.f = nil
	return nil
}

// discard removes the file unless it was committed.
func (r *resultsFile) discard() {
	if r.f != nil {
		_ = r.f.Close()
		_ = os.Remove(r.f.Name())
	}
}

// defaultMaxWorkers bounds the attack's workers: vegeta starts one more
// whenever all are busy and never retires them, so against a stalled
// target an unbounded attack grows without limit (measured: 145,000
// goroutines and "too many open files" within minutes). 4096 workers hold
// 40,000 req/s at 100 ms of latency.
const defaultMaxWorkers = 4096

// loadPlan is what the flags resolve to before anything is sent.
type loadPlan struct {
	profiles    []conformance.Profile
	profile     *conformance.Profile
	styles      []signature.Style
	styleLabel  string
	schedule    load.Schedule
	duration    time.Duration
	maxWorkers  uint64
	slos        []load.SLO
	regressions []load.Regression
	baseline    *load.Summary
	shard       load.Shard
	startAt     time.Time
	workload    string
	cases       []weightedCase
	fingerprint []string
}

type weightedCase struct {
	c      conformance.Case
	weight int
}

// plan checks every flag before anything is sent: a malformed SLO or rate
// is an error now, never a silent pass later.
func (l *loadFlags) plan(e *env) (*loadPlan, error) {
	p := &loadPlan{}
	var err error
	if p.profiles, err = l.loadProfiles(); err != nil {
		return nil, err
	}
	p.profile = &p.profiles[0]
	if l.product != "" {
		code, err := productCode(l.product, conformance.ProductCodes(p.profiles))
		if err != nil {
			return nil, err
		}
		p.profile = &p.profiles[slices.IndexFunc(p.profiles, func(pr conformance.Profile) bool { return pr.Product == code })]
	}
	if len(l.styles) == 0 {
		l.styles = listFlag{"rpc"}
	}
	var labels []string
	for _, s := range l.styles {
		st, err := signature.ParseStyle(s)
		if err != nil {
			return nil, fmt.Errorf("--style: %w", err)
		}
		if !slices.Contains(p.styles, st) {
			p.styles = append(p.styles, st)
			labels = append(labels, string(st))
		}
	}
	p.styleLabel = strings.Join(labels, "+")
	if p.slos, err = load.ParseSLOs(l.slos, l.sloFiles); err != nil {
		return nil, err
	}
	if p.regressions, err = load.ParseRegressions(l.regressions); err != nil {
		return nil, err
	}
	switch {
	case l.baseline != "":
		if p.baseline, err = load.ReadSummary(l.baseline); err != nil {
			return nil, fmt.Errorf("--baseline: %w", err)
		}
	case len(p.regressions) > 0:
		return nil, errors.New("--regression compares with a baseline: give the previous run's report directory with --baseline")
	}
	if err := l.conflicts(); err != nil {
		return nil, err
	}
	p.duration = l.duration
	switch {
	case l.ramp != "":
		d := l.duration
		if d == 0 {
			d = 10 * time.Second
			p.duration = d
		}
		if p.schedule, err = load.ParseRamp(l.ramp, d); err != nil {
			return nil, err
		}
	case l.steps != "":
		if p.schedule, err = load.ParseSteps(l.steps); err != nil {
			return nil, err
		}
	default:
		r, err := load.ParseRate(l.rate)
		if err != nil {
			return nil, fmt.Errorf("--rate: %w", err)
		}
		p.schedule = load.Constant{PerSecond: r}
		if r == 0 {
			p.maxWorkers = l.workers
		}
		if p.duration == 0 && l.requests == 0 {
			p.duration = 10 * time.Second
		}
	}
	if l.maxWorkers > 0 && p.maxWorkers == 0 {
		p.maxWorkers = l.maxWorkers
	}
	if l.shard != "" {
		if p.shard, err = load.ParseShard(l.shard); err != nil {
			return nil, fmt.Errorf("--shard: %w", err)
		}
	} else if s, ok, err := load.ShardFromEnv(e.getenv); err != nil {
		return nil, err
	} else if ok {
		p.shard = s
	}
	if l.startAt != "" {
		if p.startAt, err = time.Parse(time.RFC3339, l.startAt); err != nil {
			return nil, fmt.Errorf("--start-at %q: write an RFC 3339 time, e.g. 2026-11-22T10:00:00Z", l.startAt)
		}
		if late := time.Since(p.startAt); late > load.StartAtGrace {
			return nil, &load.StartAtPastError{At: p.startAt, Late: late}
		}
	}
	if len(l.mix) > 0 {
		if p.cases, err = l.scenarioMix(p); err != nil {
			return nil, err
		}
	}
	p.workload = l.workloadName(p)
	p.fingerprint = []string{l.target, p.profile.Product, p.styleLabel, p.workload, strings.Join(l.params, "&"),
		p.schedule.String(), p.duration.String(), strconv.FormatUint(l.requests, 10), l.format, l.method, l.path}
	if p.shard.Of > 1 {
		p.schedule = load.Scale(p.schedule, p.shard.Share())
	}
	return p, nil
}

// conflicts rejects flags that exclude each other or that the others
// make meaningless: silently ignored, they would run another test than the
// one asked for.
func (l *loadFlags) conflicts() error {
	given := func(name string) bool {
		if l.set != nil {
			return l.set[name]
		}
		return false
	}
	for _, c := range []struct {
		a, b, why string
	}{
		{"ramp", "steps", "a run has one schedule"},
		{"rate", "ramp", "a ramp sets the rate"},
		{"rate", "steps", "the steps set the rate"},
		{"scenario", "action", "a run sends one action or a scenario mix"},
		{"scenario", "param", "a scenario's requests carry their own parameters"},
		{"scenario", "method", "a scenario's requests carry their own method"},
		{"scenario", "path", "a scenario's requests carry their own path"},
		{"scenario", "format", "a scenario's requests carry their own format"},
	} {
		if given(c.a) && given(c.b) {
			return fmt.Errorf("--%s and --%s exclude each other: %s", c.a, c.b, c.why)
		}
	}
	return nil
}

func (l *loadFlags) workloadName(p *loadPlan) string {
	if len(p.cases) > 0 {
		var parts []string
		for _, c := range p.cases {
			parts = append(parts, fmt.Sprintf("%s=%d", c.c.Scenario.ID, c.weight))
		}
		return "scenarios " + strings.Join(parts, ",")
	}
	var parts []string
	for _, st := range p.styles {
		parts = append(parts, string(st)+" "+l.actionName(p, st))
	}
	return strings.Join(parts, ", ")
}

func (l *loadFlags) actionName(p *loadPlan, style signature.Style) string {
	switch {
	case l.action != "":
		return l.action
	case style == signature.ROA && p.profile.ROA != nil:
		return p.profile.ROA.Action
	}
	return p.profile.Probe.Action
}

// scenarioMix resolves --scenario ID=WEIGHT against the suite, for the
// chosen product and style.
func (l *loadFlags) scenarioMix(p *loadPlan) ([]weightedCase, error) {
	suite, err := builtinSuite()
	if err != nil {
		return nil, err
	}
	if len(l.scenarioPaths) > 0 {
		extra, err := conformance.LoadPaths(l.scenarioPaths, nil)
		if err != nil {
			return nil, err
		}
		suite = append(suite, extra...)
	}
	var out []weightedCase
	for _, m := range l.mix {
		id, w, hasW := strings.Cut(m, "=")
		weight := 1
		if hasW {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("--scenario %q: the weight after = must be a whole number ≥ 1", m)
			}
			weight = n
		}
		cases := conformance.Expand(suite, []conformance.Profile{*p.profile}, conformance.Selection{IDs: []string{id}, Styles: p.styles})
		if len(cases) == 0 {
			return nil, fmt.Errorf("--scenario %q matches no scenario for %s in style %s: see `acsharness conform --list`", id, p.profile.Product, p.styleLabel)
		}
		for _, c := range cases {
			out = append(out, weightedCase{c, weight})
		}
	}
	return out, nil
}

// items builds the workload's signing items.
func (l *loadFlags) items(tgt *target, p *loadPlan, nonces *signature.NonceSource) ([]*load.Item, error) {
	if len(p.cases) > 0 {
		var out []*load.Item
		for _, wc := range p.cases {
			f, err := conformance.NewStepFactory(wc.c, conformance.Options{Target: tgt.url, Credentials: tgt.creds,
				InactiveKeyID: tgt.inactive, SecondKey: tgt.second, ThrottledKey: tgt.throttled, STSKey: tgt.sts, Profiles: p.profiles})
			if err != nil {
				return nil, err
			}
			f.SetNonces(nonces)
			name := wc.c.Scenario.ID
			if len(p.styles) > 1 {
				name += " [" + string(wc.c.Style) + "]"
			}
			out = append(out, load.NewScenarioItem(name, wc.weight, f))
		}
		return out, nil
	}
	var out []*load.Item
	for _, style := range p.styles {
		it, err := l.actionItem(tgt, p, style, nonces)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// actionItem builds the signing item of the action in one style.
func (l *loadFlags) actionItem(tgt *target, p *loadPlan, style signature.Style, nonces *signature.NonceSource) (*load.Item, error) {
	prof := p.profile
	spec := load.ActionSpec{Style: style, Action: l.actionName(p, style), Version: prof.Version, Host: prof.Host, Method: prof.Probe.Method, Format: l.format}
	base := prof.Probe.Params
	if style == signature.ROA && prof.ROA != nil {
		spec.Method, spec.Path, base = prof.ROA.Method, prof.ROA.Path, prof.ROA.Params
		if prof.ROA.Version != "" {
			spec.Version = prof.ROA.Version
		}
	}
	if l.path != "" {
		spec.Path = l.path
	}
	if l.method != "" {
		spec.Method = strings.ToUpper(l.method)
	}
	if len(l.params) > 0 {
		ps, err := parsePairs("--param", l.params)
		if err != nil {
			return nil, err
		}
		spec.Params = ps
	} else if l.action == "" {
		for _, kv := range base {
			spec.Params = append(spec.Params, signature.Param{Key: kv.Key, Value: kv.Value})
		}
	}
	name := spec.Action
	if len(p.styles) > 1 {
		name = string(style) + " " + spec.Action
	}
	return load.NewActionItem(name, 1, tgt.url, spec, tgt.creds, nonces)
}

// probe checks that the target answers at all, and returns its clock's
// offset from ours: shards on machines with drifting clocks record it in
// their manifests.
func probe(ctx context.Context, target string, tlsConfig *tls.Config) (time.Duration, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	defer tr.CloseIdleConnections()
	return conformance.Probe(ctx, &http.Client{Transport: tr}, target, 10*time.Second, time.Now)
}

// serveMetrics serves reg at http://addr/metrics until stop is called.
func serveMetrics(addr string, reg *prometheus.Registry) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := gateway.NewMetricsServer(reg) // the gateway's timeouts, idle connections included
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

// progressPrinter returns the progress callback: a live line rewritten in
// place on a terminal, plain periodic lines otherwise (or with CI=true).
func progressPrinter(e *env, every time.Duration) (func(load.Progress), time.Duration) {
	live := useColor(e, e.stderr, "auto")
	if every == 0 {
		every = 5 * time.Second
		if live {
			every = time.Second
		}
	}
	return func(p load.Progress) {
		line := progressLine(p)
		if live {
			fmt.Fprintf(e.stderr, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(e.stderr, line)
		}
	}, every
}

// progressLine is one progress report: the current rate (over the last
// interval, not the run's average), the requests so far of the total, the
// time left, success, p99 so far and late requests, as k6 shows them.
func progressLine(p load.Progress) string {
	sent := strconv.FormatUint(p.Sent, 10)
	if p.Total > 0 {
		sent += fmt.Sprintf("/%d (%.0f%%)", p.Total, 100*float64(min(p.Sent, p.Total))/float64(p.Total))
	}
	eta := "ETA ?"
	if p.ETA >= 0 {
		eta = "ETA " + p.ETA.Round(time.Second).String()
	}
	p99 := p.P99.String()
	if p.P99 < 0 {
		p99 = "no answer"
	}
	return fmt.Sprintf("%6s  %s  now %.1f/s  sent %s  success %.2f%%  p99 %s  late %d",
		p.Elapsed.Round(time.Second), eta, p.Rate, sent, p.Success*100, p99, p.Late)
}
