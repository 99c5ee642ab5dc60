package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

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
		out = append(out, Fault{Name: string(f.Fault), Category: f.Category, About: f.About})
	}
	return out
}

// TestSelfTest is the suite's proof of power: the built-in suite passes
// whole against the reference gateway, and every fault of the catalogue
// makes at least one case fail.
func TestSelfTest(t *testing.T) {
	sc := builtinScenarios(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := SelfTest(ctx, SelfTestOptions{Run: demoOptions(sc), Faults: gatewayFaults(), Start: startGateway})
	require.NoError(t, err)
	for _, r := range rep.Baseline.Results {
		assert.NotEqual(t, Fail, r.Status, "%s must pass against the reference gateway: %s\nexpected %s\nobserved %s", r.ID, r.Reason, r.Expected, r.Observed)
		assert.NotEqual(t, Skip, r.Status, "%s must not be skipped against the reference gateway: %s", r.ID, r.Reason)
	}
	for _, f := range rep.Faults {
		assert.True(t, f.Caught(), "fault %s (%s: %s) was caught by no scenario", f.Fault.Name, f.Fault.Category, f.Fault.About)
		t.Logf("%-24s caught by %d cases: %s", f.Fault.Name, len(f.CaughtBy), strings.Join(f.CaughtByScenario(), " "))
	}
	assert.Equal(t, 1.0, rep.Score, "mutation score")
}
