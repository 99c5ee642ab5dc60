package load

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/scenarios"
	"github.com/acsharness/acsharness/signature"
)

var demoCreds = signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret}

// startGateway starts the reference gateway on 127.0.0.1 for one test.
func startGateway(t *testing.T) *gateway.Local {
	t.Helper()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// gatewayCodes sums the gateway's own request counter by code: what the
// gateway answered, whatever the generator thinks.
func gatewayCodes(t *testing.T, l *gateway.Local) map[string]float64 {
	t.Helper()
	reg := l.Gateway.Registry()
	require.NotNil(t, reg)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "acsharness_gateway_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "code" {
					out[lp.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// probeSpec is the MQTT profile's probe action in a style, as
// `acsharness load` builds it.
func probeSpec(style signature.Style) ActionSpec {
	p := conformance.BuiltinProfiles()[0]
	spec := ActionSpec{Style: style, Action: p.Probe.Action, Version: p.Version, Host: p.Host, Method: p.Probe.Method}
	base := p.Probe.Params
	if style == signature.ROA {
		spec.Action, spec.Method, spec.Path, spec.Version, base = p.ROA.Action, p.ROA.Method, p.ROA.Path, p.ROA.Version, p.ROA.Params
	}
	for _, kv := range base {
		spec.Params = append(spec.Params, signature.Param{Key: kv.Key, Value: kv.Value})
	}
	return spec
}

// testItem is the probe action of l in a style, with nonces of its own.
func testItem(t *testing.T, l *gateway.Local, style signature.Style) *Item {
	t.Helper()
	spec := probeSpec(style)
	it, err := NewActionItem(spec.Action, 1, l.URL, spec, demoCreds, signature.NewNonceSource())
	require.NoError(t, err)
	return it
}

// testNonces is a nonce source whose nonces all start with testNoncePrefix,
// so that a test can look for them anywhere.
func testNonces() *signature.NonceSource {
	return signature.NewShardNonceSource(0x7e57, 0xabcdef123456)
}

const testNoncePrefix = "7e57abcdef123456"

// decodeResults reads a results stream as `vegeta report` would.
func decodeResults(t *testing.T, b []byte) []vegeta.Result {
	t.Helper()
	dec := vegeta.NewDecoder(bytes.NewReader(b))
	var out []vegeta.Result
	for range 100000 {
		var r vegeta.Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, r)
	}
	t.Fatal("the results stream does not end")
	return nil
}

// assertNoSecrets checks a result as written to disk.
func assertNoSecrets(t *testing.T, r vegeta.Result) {
	t.Helper()
	for _, field := range []string{r.URL, r.Error} {
		for _, s := range []string{gateway.DemoKeyID, string(gateway.DemoKeySecret), testNoncePrefix} {
			assert.NotContains(t, field, s)
		}
		if u, err := url.Parse(field); err == nil && strings.HasPrefix(field, "http") {
			for _, k := range secretParams {
				if v := u.Query().Get(k); v != "" {
					assert.Equal(t, "redacted", v, "%s in %s", k, field)
				}
			}
		}
	}
	assert.Nil(t, r.Body)
}

func TestRunAllStylesAgainstGateway(t *testing.T) {
	t.Parallel()
	for _, style := range signature.Styles {
		t.Run(string(style), func(t *testing.T) {
			t.Parallel()
			l := startGateway(t)
			spec := probeSpec(style)
			it, err := NewActionItem(spec.Action, 1, l.URL, spec, demoCreds, testNonces())
			require.NoError(t, err)
			var results bytes.Buffer
			var progress atomic.Int32
			sum, err := Run(context.Background(), Options{
				Target: l.URL, Items: []*Item{it}, Style: string(style), Workload: string(style) + " " + spec.Action,
				Schedule: Constant{80}, Duration: time.Second, Results: &results,
				Progress: func(Progress) { progress.Add(1) }, ProgressEvery: 200 * time.Millisecond,
			})
			require.NoError(t, err)
			// Hits 0..79 are due within the second; the one due at 1 s is not.
			assert.Equal(t, uint64(80), sum.Requests, "80/s for 1 s")
			assert.Equal(t, sum.Requests, sum.Successes, "every request answered 2xx: codes %v, errors %v", sum.Codes, sum.Errors)
			assert.Equal(t, map[string]uint64{"200": sum.Requests}, sum.Status)
			assert.Empty(t, sum.Codes)
			assert.False(t, sum.Interrupted)
			assert.InDelta(t, 80, sum.RequestedRate, 0.01)
			assert.InDelta(t, 1.0, sum.AttackDuration, 1e-9)
			assert.Equal(t, l.URL, sum.Target)
			assert.Equal(t, "80/s", sum.Schedule)
			require.Len(t, sum.ByItem, 1)
			assert.Equal(t, spec.Action, sum.ByItem[0].Name)
			assert.Positive(t, sum.Latency.P50)
			assert.Positive(t, sum.Sign.Mean, "signing is timed")
			assert.Positive(t, progress.Load(), "progress is reported")

			codes := gatewayCodes(t, l)
			assert.Zero(t, codes[gateway.CodeNonceUsed], "a fresh nonce each request")
			assert.InDelta(t, float64(sum.Requests), codes["OK"], 0, "the gateway accepted every request: %v", codes)

			rs := decodeResults(t, results.Bytes())
			require.Len(t, rs, int(sum.Requests), "one result per request, in vegeta's encoding")
			for _, r := range rs {
				assert.Equal(t, uint16(200), r.Code)
				assert.NotContains(t, r.URL, "#", "the item index is not written")
				assertNoSecrets(t, r)
			}
			for _, s := range []string{gateway.DemoKeyID + "&", "=" + gateway.DemoKeyID, "acs " + gateway.DemoKeyID, testNoncePrefix, string(gateway.DemoKeySecret)} {
				assert.NotContains(t, results.String(), s, "nowhere in the results file")
			}
		})
	}
}

// A generator that falls behind near the end still sends what was due
// before the end, late, rather than dropping it: here the one worker is held
// 400 ms by the 15th of 20 requests, past the end of the 1 s run.
func TestRunSendsWhatWasDueAfterFallingBehind(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 15 {
			time.Sleep(400 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"RequestId":"x"}`)
	}))
	t.Cleanup(srv.Close)
	spec := probeSpec(signature.RPC)
	it, err := NewActionItem(spec.Action, 1, srv.URL, spec, demoCreds, signature.NewNonceSource())
	require.NoError(t, err)
	sum, err := Run(context.Background(), Options{Target: srv.URL, Items: []*Item{it}, Schedule: Constant{20}, Duration: time.Second,
		Workers: 1, MaxWorkers: 1, endGrace: 10 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, uint64(20), sum.Requests, "the requests due before the end are sent")
	assert.Zero(t, sum.Dropped)
	assert.NotZero(t, sum.Late, "those held up are late")
}

// The due times count from the instant the attacker paces from: a stall
// of the machine before it started used to make every request of the run
// late by the stall, in the response time and the late count.
func TestRunDueTimesShareTheAttackersClock(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{testItem(t, l, signature.RPC)}, Schedule: Constant{50},
		Requests: 20, LateAfter: time.Second, beforeAttack: func() { time.Sleep(1500 * time.Millisecond) }})
	require.NoError(t, err)
	assert.Equal(t, uint64(20), sum.Requests)
	assert.Zero(t, sum.Late, "no request is late by the stall before the attack")
	assert.Less(t, sum.Latency.Min, 1.0, "the response time does not hold the stall: %+v", sum.Latency)
}

// A constant rate sends rate × duration requests, not one more: the last
// one used to land alone in a bucket after the end and draw a cliff in every
// plot.
func TestRunSendsRateTimesDuration(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.RPC)
	for _, tc := range []struct {
		name     string
		schedule Schedule
		duration time.Duration
		want     uint64
	}{
		{"50/s for 2 s", Constant{50}, 2 * time.Second, 100},
		{"a rate that does not divide the second", Constant{30}, 1500 * time.Millisecond, 45},
		{"steps", Steps{{20, 500 * time.Millisecond}, {40, 500 * time.Millisecond}}, time.Second, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: tc.schedule, Duration: tc.duration})
			require.NoError(t, err)
			assert.Equal(t, tc.want, sum.Requests)
			assert.Zero(t, sum.Dropped)
			last := sum.Series[len(sum.Series)-1]
			assert.Less(t, last.Start, tc.duration.Seconds(), "no bucket starts at or after the end: %+v", sum.Series)
		})
	}
}

func TestRunRequestsBound(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.RPC)
	for _, tc := range []struct {
		name     string
		schedule Schedule
		duration time.Duration
		workers  uint64
	}{
		{"paced", Constant{500}, 0, 0},
		{"paced within a duration", Constant{500}, 10 * time.Second, 0},
		{"as fast as 3 workers go", Constant{0}, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var results bytes.Buffer
			sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Style: "rpc", Schedule: tc.schedule,
				Duration: tc.duration, Requests: 37, Workers: tc.workers, MaxWorkers: tc.workers, Results: &results})
			require.NoError(t, err)
			assert.Equal(t, uint64(37), sum.Requests, "exactly --requests")
			assert.Equal(t, uint64(37), sum.Successes)
			assert.Len(t, decodeResults(t, results.Bytes()), 37)
			assert.False(t, sum.Interrupted)
			if tc.workers > 0 {
				assert.Zero(t, sum.Late, "nothing is due when going as fast as possible")
				assert.Zero(t, sum.Dropped)
			}
		})
	}
}

func TestRunCancelledMidRun(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.V3)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	var results bytes.Buffer
	began := time.Now()
	sum, err := Run(ctx, Options{Target: l.URL, Items: []*Item{it}, Style: "v3", Schedule: Constant{100},
		Duration: 30 * time.Second, Results: &results})
	took := time.Since(began)
	require.NoError(t, err)
	require.NotNil(t, sum, "a stopped run still reports")
	assert.Less(t, took, 5*time.Second, "cancellation stops the attack")
	assert.True(t, sum.Interrupted)
	assert.InDelta(t, 41, float64(sum.Requests), 30, "what was sent in the 0.4 s before the stop")
	assert.Equal(t, sum.Requests, sum.Successes)
	assert.Len(t, decodeResults(t, results.Bytes()), int(sum.Requests), "every result gathered is written")
	assert.Less(t, sum.AttackDuration, 2.0, "the attack lasted until the stop, not the 30 s asked")
}

func TestRunWaitsForStartAt(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.RPC)
	at := time.Now().Add(300 * time.Millisecond)
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: Constant{100}, Requests: 3, StartAt: at})
	require.NoError(t, err)
	assert.False(t, sum.Started.Before(at), "started %s, asked %s", sum.Started, at)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	sum, err = Run(ctx, Options{Target: l.URL, Items: []*Item{it}, Schedule: Constant{100}, Requests: 3, StartAt: time.Now().Add(time.Hour)})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "stopped while waiting to start")
	assert.Nil(t, sum)
}

// A ramp down to zero ends with its last hit; before, the attacker slept
// for a thousand hours after it and the run never returned.
func TestRunRampDownToZeroEnds(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.RPC)
	done := make(chan *Summary, 1)
	go func() {
		sum, _ := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: Ramp{From: 100, To: 0, Over: 500 * time.Millisecond},
			Duration: time.Second})
		done <- sum
	}()
	select {
	case sum := <-done:
		require.NotNil(t, sum)
		assert.Equal(t, uint64(26), sum.Requests, "hits 0..25 of a ramp 100/s→0 over 0.5 s")
		assert.Equal(t, sum.Requests, sum.Successes)
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after its ramp down to zero")
	}
}

func TestRunOptionsErrors(t *testing.T) {
	t.Parallel()
	it := fakeItem("a", 1)
	for _, tc := range []struct {
		name string
		o    Options
		msg  string
	}{
		{"no target", Options{Items: []*Item{it}, Schedule: Constant{1}, Duration: time.Second}, "must be a URL"},
		{"bad scheme", Options{Target: "ftp://127.0.0.1", Items: []*Item{it}, Schedule: Constant{1}, Duration: time.Second}, "must be a URL"},
		{"no workload", Options{Target: "http://127.0.0.1:1", Schedule: Constant{1}, Duration: time.Second}, "no workload"},
		{"no rate", Options{Target: "http://127.0.0.1:1", Items: []*Item{it}, Duration: time.Second}, "no rate"},
		{"max rate unbounded", Options{Target: "http://127.0.0.1:1", Items: []*Item{it}, Schedule: Constant{0}, Duration: time.Second}, "bound them with --workers"},
		{"no end", Options{Target: "http://127.0.0.1:1", Items: []*Item{it}, Schedule: Constant{1}}, "give --duration or --requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sum, err := Run(context.Background(), tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Nil(t, sum)
		})
	}
}

// scenarioCase expands one built-in scenario for the MQTT profile in RPC.
func scenarioCase(t *testing.T, suite []conformance.Scenario, id string) conformance.Case {
	t.Helper()
	profiles := conformance.BuiltinProfiles()[:1]
	cases := conformance.Expand(suite, profiles, conformance.Selection{IDs: []string{id}, Styles: []signature.Style{signature.RPC}})
	require.Len(t, cases, 1, "scenario %s for %s in rpc", id, profiles[0].Product)
	return cases[0]
}

// A scenario mix counts success by the scenario's expectation: a wrong
// secret answered SignatureDoesNotMatch is a success.
func TestRunScenarioMix(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	suite, err := conformance.LoadFS(scenarios.FS, ".", nil)
	require.NoError(t, err)
	nonces := testNonces()
	var items []*Item
	for _, tc := range []struct {
		id     string
		weight int
	}{{"signature/wrong-secret", 1}, {"signature/valid", 3}} {
		f, err := conformance.NewStepFactory(scenarioCase(t, suite, tc.id), conformance.Options{Target: l.URL, Credentials: demoCreds,
			Profiles: conformance.BuiltinProfiles()})
		require.NoError(t, err)
		f.SetNonces(nonces)
		items = append(items, NewScenarioItem(tc.id, tc.weight, f))
	}
	var results bytes.Buffer
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: items, Style: "mixed", Workload: "scenarios",
		Schedule: Constant{100}, Requests: 80, Results: &results})
	require.NoError(t, err)
	assert.Equal(t, uint64(80), sum.Requests)
	assert.Equal(t, uint64(80), sum.Successes, "each answer is what its scenario expects: %+v", sum.ByItem)
	require.Len(t, sum.ByItem, 2)
	byName := map[string]ItemSummary{}
	for _, it := range sum.ByItem {
		byName[it.Name] = it
	}
	wrong, valid := byName["signature/wrong-secret"], byName["signature/valid"]
	assert.Equal(t, uint64(20), wrong.Requests, "weights 1:3 of 80")
	assert.Equal(t, uint64(20), wrong.Successes, "SignatureDoesNotMatch is what the scenario expects")
	assert.Equal(t, map[string]uint64{"SignatureDoesNotMatch": 20}, wrong.Codes)
	assert.Equal(t, uint64(60), valid.Requests)
	assert.Equal(t, uint64(60), valid.Successes)
	assert.Equal(t, map[string]uint64{"200": 60, "400": 20}, sum.Status)
	assert.Equal(t, map[string]uint64{"SignatureDoesNotMatch": 20}, sum.Codes)

	codes := gatewayCodes(t, l)
	assert.Zero(t, codes[gateway.CodeNonceUsed])
	assert.InDelta(t, 20, codes[gateway.CodeSignatureDoesNotMatch], 0)

	rs := decodeResults(t, results.Bytes())
	require.Len(t, rs, 80)
	for _, r := range rs {
		assertNoSecrets(t, r)
	}
	assert.NotContains(t, results.String(), testNoncePrefix)
	assert.NotContains(t, results.String(), "string to sign", "error bodies echo the string to sign; they are dropped")
}

// The same scenario judged by its expectation fails when the answer is
// not the one expected: a wrong-secret request the gateway accepts.
func TestRunScenarioExpectationFails(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{Faults: []gateway.Fault{gateway.FaultErrorsAs200}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	suite, err := conformance.LoadFS(scenarios.FS, ".", nil)
	require.NoError(t, err)
	f, err := conformance.NewStepFactory(scenarioCase(t, suite, "signature/wrong-secret"), conformance.Options{Target: l.URL,
		Credentials: demoCreds, Profiles: conformance.BuiltinProfiles()})
	require.NoError(t, err)
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{NewScenarioItem("wrong", 1, f)}, Schedule: Constant{200}, Requests: 10})
	require.NoError(t, err)
	assert.Equal(t, uint64(10), sum.Requests)
	assert.Zero(t, sum.Successes, "a mismatch answered 200 is not what the scenario expects")
	assert.False(t, mustSLO(t, "success>=99%").Check(sum).Met)
}

// countingWriter counts the writes it gets.
type countingWriter struct {
	writes int
	bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

// results.bin is buffered: a few writes for a whole run, not one per
// result on the collector's goroutine.
func TestRunResultsAreBuffered(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	var w countingWriter
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{testItem(t, l, signature.RPC)}, Schedule: Constant{1000},
		Requests: 300, Results: &w})
	require.NoError(t, err)
	assert.Len(t, decodeResults(t, w.Bytes()), int(sum.Requests), "every result is written")
	assert.LessOrEqual(t, w.writes, 3, "300 results in a few buffered writes")
}

// --start-at a moment ago starts at once and says how late; further in
// the past it is refused before anything is sent.
func TestRunStartAtInThePast(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	it := testItem(t, l, signature.RPC)
	sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: Constant{100}, Requests: 2,
		StartAt: time.Now().Add(-time.Second)})
	require.NoError(t, err)
	assert.InDelta(t, 1.0, sum.StartLate, 0.5, "started about a second late")

	sum, err = Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: Constant{100}, Requests: 2,
		StartAt: time.Now().Add(-time.Minute)})
	var past *StartAtPastError
	require.ErrorAs(t, err, &past)
	assert.Nil(t, sum)
	assert.Contains(t, err.Error(), "in the past (more than the 2s grace)")
}
