package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/acsharness/acsharness/internal/race"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/scenarios"
)

// builtinScenarios loads the embedded suite.
func builtinScenarios(t testing.TB) []Scenario {
	t.Helper()
	sc, err := LoadFS(scenarios.FS, ".", ProductCodes(BuiltinProfiles()))
	require.NoError(t, err)
	return sc
}

// demoOptions are the options `acsharness conform` uses against its
// embedded gateway: the demo keys of every kind.
func demoOptions(sc []Scenario) Options {
	demo := gateway.Demo()
	return Options{
		Credentials:   demo.Main,
		InactiveKeyID: demo.InactiveID,
		SecondKey:     &demo.Second,
		ThrottledKey:  &demo.Throttled,
		STSKey:        &demo.STS,
		Profiles:      BuiltinProfiles(),
		Scenarios:     sc,
		Concurrency:   16,
		Timeout:       10 * time.Second,
	}
}

func startGateway(fault string) (string, func() error, error) {
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

func gatewayFaults() []Fault {
	var out []Fault
	for _, f := range gateway.Faults() {
		out = append(out, Fault{Name: string(f.Fault), Category: f.Category, About: f.About, Rules: f.Rules})
	}
	return out
}

// TestSelfTest is the suite's proof of power: the built-in suite passes
// whole against the reference gateway, without a warning, and every fault
// of the catalogue is caught by a case that passed there and fails (or
// warns) against the fault, naming a rule the fault breaks; the matrix by
// rule shows every must and should rule caught by each fault that breaks
// it.
func TestSelfTest(t *testing.T) {
	race.Skip(t, "the suite once per fault: the baseline run's concurrency is checked under -race by the conform tests")
	t.Parallel()
	sc := builtinScenarios(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := SelfTest(ctx, SelfTestOptions{Run: demoOptions(sc), Faults: gatewayFaults(), Start: startGateway})
	require.NoError(t, err)
	for _, r := range rep.Baseline.Results {
		assert.Equal(t, Pass, r.Status, "%s must pass against the reference gateway: %s\nexpected %s\nobserved %s", r.ID, r.Reason, r.Expected, r.Observed)
	}
	assert.True(t, rep.BaselineClean())
	for _, f := range rep.Faults {
		assert.True(t, f.Caught(), "fault %s (%s: %s) was caught by no case naming one of its rules %v", f.Fault.Name, f.Fault.Category, f.Fault.About, f.Fault.Rules)
		t.Logf("%-28s caught by %d cases: %s", f.Fault.Name, len(f.CaughtBy), strings.Join(f.CaughtByScenario(), " "))
	}
	for _, row := range rep.Rules {
		assert.True(t, row.Caught(), "rule %s (%s): every fault breaking it must be caught by it: %+v", row.Rule, row.Level, row.Faults)
	}
	assert.Equal(t, 1.0, rep.Score, "mutation score")
}

// TestCaughtNeedsABaselinePassAndTheRule: a case catches a fault only if it
// passed against the correct target and its failure names a rule the fault
// breaks; a failure for another reason, a note, or a case that failed
// already does not count.
func TestCaughtNeedsABaselinePassAndTheRule(t *testing.T) {
	t.Parallel()
	f := Fault{Name: "f", Rules: []string{"nonce.replay"}}
	rep := &Report{Results: []Result{
		{ID: "a", Status: Fail, Findings: []Finding{{Rule: "nonce.replay", Level: Must}}},
		{ID: "b", Status: Fail, Findings: []Finding{{Rule: "ts.window", Level: Must}}},
		{ID: "c", Status: Fail, Findings: []Finding{{Rule: "nonce.replay", Level: Must}}},
		{ID: "d", Status: Pass, Findings: []Finding{{Rule: "nonce.replay", Level: May}}},
		{ID: "e", Status: Warn, Findings: []Finding{{Rule: "nonce.replay", Level: Should}}},
	}}
	passed := map[string]bool{"a": true, "b": true, "c": false, "d": true, "e": true}
	fr := caught(f, rep, passed)
	assert.Equal(t, []string{"a", "e"}, fr.CaughtBy)
	assert.Equal(t, []string{"nonce.replay"}, fr.RulesCaught)
	assert.False(t, caught(f, &Report{}, passed).Caught())
}

// TestOneLineBreaks: each one-line break of issue 8 fails the suite (a
// `must` rule) or warns and fails it only under --strict (a `should` rule).
func TestOneLineBreaks(t *testing.T) {
	race.Skip(t, "the suite once per break, as TestSelfTest")
	t.Parallel()
	sc := builtinScenarios(t)
	for _, tc := range []struct {
		fault gateway.Fault
		level Level
	}{
		{gateway.FaultXMLErrorType, Must},
		{gateway.FaultJettyContentType, Should},
		{gateway.FaultGarbageRecommend, Should},
		{gateway.FaultConstantHostID, Should},
		{gateway.FaultMismatchMessage, Should},
		{gateway.FaultV3MismatchRPCForm, Should},
		{"message-missing-parameter", Should},
		{gateway.FaultDropTraceID, Should},
		{gateway.FaultDefaultJSON, Should},
		{gateway.FaultNoStringToSign, Must},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			target, stop, err := startGateway(string(tc.fault))
			require.NoError(t, err)
			defer func() { _ = stop() }()
			for _, strict := range []bool{false, true} {
				opts := demoOptions(sc)
				opts.Target, opts.Strict = target, strict
				opts.Select = Selection{Categories: []string{"envelope", "signature"}}
				rep, err := Run(context.Background(), opts)
				require.NoError(t, err)
				failed := tc.level == Must || strict
				assert.Equal(t, failed, rep.Failed(), "strict=%v: a %s break fails the run only %s", strict, tc.level, map[bool]string{true: "so", false: "under --strict"}[tc.level == Must])
				if tc.level == Should && !strict {
					assert.Positive(t, rep.Totals.Warn, "a should break warns")
				}
			}
		})
	}
}
