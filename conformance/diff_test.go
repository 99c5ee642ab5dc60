package conformance

import (
	"context"
	"testing"

	"github.com/acsharness/acsharness/internal/race"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// res is one case of scenario s/x in rpc against onsmqtt, with findings.
func res(status string, findings ...Finding) *Result {
	r := &Result{ID: "s/x[rpc/onsmqtt]", ScenarioID: "s/x", Style: "rpc", Product: "onsmqtt", Category: "signature", Status: status, Findings: findings}
	for _, f := range findings {
		r.Reason += "step 1: " + f.String() + "; "
	}
	if status == Skip {
		r.Reason = "no inactive key: pass --inactive-key-id"
	}
	return r
}

func must(rule, msg string) Finding { return Finding{Rule: rule, Level: Must, Step: 1, Message: msg} }
func should(rule, msg string) Finding {
	return Finding{Rule: rule, Level: Should, Step: 1, Message: msg}
}

func reportOf(rs ...*Result) *Report {
	r := &Report{}
	for _, x := range rs {
		if x != nil {
			r.Results = append(r.Results, *x)
		}
	}
	return r
}

// Every change of one case's outcome, and what it means for the gate.
func TestCompareJudgesEachChange(t *testing.T) {
	t.Parallel()
	sig := must("sig.rpc.valid", "status 400, expected [200]")
	for _, tc := range []struct {
		name       string
		was, now   *Result
		kind       Kind // "" for unchanged
		regression bool
		why        string
	}{
		{"pass to fail", res(Pass), res(Fail, sig), NewlyFailing, true, "passed, now fails: breaks sig.rpc.valid (must)"},
		{"should warning to must failure", res(Warn, should("env.trace-id", "no trace id")), res(Fail, must("env.trace-id", "no trace id")),
			NewlyFailing, true, "warned, now fails: breaks env.trace-id (must)"},
		{"skipped to fail", res(Skip), res(Fail, sig), NewlyFailing, true, "was skipped, now fails"},
		{"still failing", res(Fail, sig), res(Fail, sig), StillFailing, false, "fails as in the baseline"},
		{"still failing, volatile values masked", res(Fail, must("env.request-id", "RequestId 5E2C9A1B-0000-4000-8000-000000000001 at 2026-03-04T05%3A06%3A07Z, nonce 3f1c9ab27e4d6c8a0b1c2d3e")),
			res(Fail, must("env.request-id", "RequestId 7A1D2C3B-1111-4000-8000-0000000000FF at 2026-03-05T11%3A12%3A13Z, nonce 0b1c2d3e3f1c9ab27e4d6c8a")),
			StillFailing, false, "fails as in the baseline"},
		{"changed reason, same rule", res(Fail, sig), res(Fail, must("sig.rpc.valid", "status 500, expected [200]")), Changed, false, "still fails, for another reason"},
		{"already failing, breaks a must rule more", res(Fail, sig), res(Fail, sig, must("nonce.replay", "replay accepted")),
			Changed, true, "still fails, and now breaks nonce.replay (must)"},
		{"already failing, a should rule more", res(Fail, sig), res(Fail, sig, should("env.trace-id", "no trace id")), Changed, false, "for another reason"},
		{"already failing, the notes aside", res(Fail, sig), res(Fail, sig, Finding{Rule: "env.format.accept-default", Level: May, Step: 1, Message: "XML"}),
			StillFailing, false, "fails as in the baseline"},
		{"an old report without findings", &Result{ID: "s/x[rpc/onsmqtt]", Status: Fail, Reason: "step 1: status 400, expected [200]"}, res(Fail, sig),
			Changed, false, "for another reason"},
		{"fail to pass", res(Fail, sig), res(Pass), NewlyPassing, false, "failed, now passes"},
		{"fail to warn", res(Fail, sig), res(Warn, should("env.trace-id", "no trace id")), NewlyPassing, false, "failed, now only warns: breaks env.trace-id (should)"},
		{"pass to warn", res(Pass), res(Warn, should("env.trace-id", "no trace id")), NewlyWarning, false, "passed, now warns: breaks env.trace-id (should)"},
		{"warn to warn alike", res(Warn, should("env.trace-id", "no trace id")), res(Warn, should("env.trace-id", "no trace id")), "", false, ""},
		{"warn to warn, another rule", res(Warn, should("env.trace-id", "no trace id")), res(Warn, should("env.cors", "no CORS")), Changed, false, "breaks env.cors (should)"},
		{"pass to skip", res(Pass), res(Skip), NewlySkipped, false, "passed, now skipped: no inactive key"},
		{"fail to skip", res(Fail, sig), res(Skip), NewlySkipped, false, "failed, now skipped"},
		{"skip to skip", res(Skip), res(Skip), "", false, ""},
		{"skip to pass", res(Skip), res(Pass), NewlyPassing, false, "was skipped, now passes"},
		{"pass to pass", res(Pass), res(Pass), "", false, ""},
		{"new and failing", nil, res(Fail, sig), New, true, "not in the baseline; fails: breaks sig.rpc.valid (must)"},
		{"new and passing", nil, res(Pass), New, false, "not in the baseline; passes"},
		{"removed", res(Fail, sig), nil, Removed, false, "not in this run; failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Compare(reportOf(tc.was), reportOf(tc.now), "old", "new")
			assert.Equal(t, tc.regression, d.Regressed(), "regressed")
			if tc.kind == "" {
				assert.Empty(t, d.Cases, "an unchanged case is not listed")
				assert.Equal(t, 1, d.Unchanged, "counted as unchanged")
				return
			}
			require.Len(t, d.Cases, 1, "one case listed")
			c := d.Cases[0]
			assert.Equal(t, tc.kind, c.Kind, "kind")
			assert.Equal(t, tc.regression, c.Regression, "regression")
			assert.Contains(t, c.Why, tc.why, "why")
			assert.Equal(t, 1, d.Counts[tc.kind], "counted under its kind")
			assert.Equal(t, tc.was != nil, c.Was != nil, "was shown where the baseline has the case")
			assert.Equal(t, tc.now != nil, c.Now != nil, "now shown where the run has the case")
		})
	}
}

// Cases are matched by scenario, style and product, and listed in kind
// order then by id; a suite of another version and another --strict are
// said in notes; the totals are counted from the results.
func TestCompareMatchesAndNotes(t *testing.T) {
	t.Parallel()
	c := func(id, style, status string) Result {
		return Result{ID: "renamed-" + id, ScenarioID: id, Style: style, Product: "onsmqtt", Status: status}
	}
	base := &Report{Strict: true, Results: []Result{c("a", "rpc", Pass), c("b", "rpc", Fail), c("gone", "v3", Pass), c("z", "roa", Pass)}}
	run := &Report{Results: []Result{c("z", "roa", Fail), c("a", "rpc", Fail), c("b", "rpc", Fail), c("added", "rpc", Pass), c("added", "roa", Pass)}}
	// The ids differ in form ("renamed-a" against "a[rpc/onsmqtt]" below):
	// the match is by the fields.
	for i := range base.Results {
		base.Results[i].ID = base.Results[i].ScenarioID
	}
	d := Compare(base, run, "base.json", "run.json")

	var order []string
	for _, x := range d.Cases {
		order = append(order, string(x.Kind)+" "+x.ID)
	}
	assert.Equal(t, []string{
		"newly-failing a[rpc/onsmqtt]", "newly-failing z[roa/onsmqtt]",
		"new added[roa/onsmqtt]", "new added[rpc/onsmqtt]",
		"removed gone[v3/onsmqtt]",
		"still-failing b[rpc/onsmqtt]",
	}, order, "matched by scenario, style and product; kinds in order, then ids")
	assert.Equal(t, 2, d.Regressions)
	assert.Len(t, d.Failing(), 3, "every case failing now")
	require.Len(t, d.Notes, 2)
	assert.Contains(t, d.Notes[0], "2 cases not in the baseline and 1 case of the baseline not in this run")
	assert.Contains(t, d.Notes[1], "the baseline ran with --strict and this run without --strict")
	assert.Equal(t, Totals{Cases: 4, Pass: 3, Fail: 1}, d.Baseline.Totals, "baseline totals from its results")
	assert.Equal(t, Totals{Cases: 5, Pass: 2, Fail: 3}, d.Run.Totals, "run totals from its results")
	assert.Equal(t, "base.json", d.Baseline.Path)

	same := Compare(base, base, "", "")
	assert.Empty(t, same.Notes, "a run against itself needs no note")
	assert.False(t, same.Regressed())
}

// Two runs of the whole suite against the same faulty gateway are the same
// run: every failure is "still failing", nothing changed (the masking of
// request ids, nonces and times holds on real answers). Against the correct
// gateway's run each of those failures is a regression, and back again each
// is newly passing.
func TestCompareRealRuns(t *testing.T) {
	race.Skip(t, "three whole-suite runs and their comparison, pure logic; Run's concurrency is tested under -race in this package")
	t.Parallel()
	sc := builtinScenarios(t)
	rules, err := BuiltinRules()
	require.NoError(t, err)
	run := func(fault string) *Report {
		url, stop, err := startGateway(fault)
		require.NoError(t, err)
		defer stop()
		o := demoOptions(sc)
		o.Target, o.Rules, o.Concurrency = url, rules, 8
		rep, err := Run(context.Background(), o)
		require.NoError(t, err)
		return rep
	}
	good, bad1, bad2 := run(""), run("plus-literal"), run("plus-literal")
	require.Zero(t, good.Totals.Fail, "the correct gateway passes")
	require.NotZero(t, bad1.Totals.Fail, "the fault fails cases")

	d := Compare(bad1, bad2, "", "")
	assert.False(t, d.Regressed(), "the same fault twice is no regression")
	assert.Equal(t, bad1.Totals.Fail, d.Counts[StillFailing], "every failure still failing, for the same reason")
	for _, k := range []Kind{Changed, NewlyFailing, NewlyPassing, New, Removed} {
		assert.Zero(t, d.Counts[k], "no case %s between two runs of one gateway: %v", k, d.Of(k))
	}

	d = Compare(good, bad1, "", "")
	assert.Equal(t, bad1.Totals.Fail, d.Regressions, "each failure of the faulty gateway is a regression")
	assert.Equal(t, bad1.Totals.Fail, d.Counts[NewlyFailing])
	back := Compare(bad1, good, "", "")
	assert.False(t, back.Regressed())
	assert.Equal(t, bad1.Totals.Fail, back.Counts[NewlyPassing])
}
