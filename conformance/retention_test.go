package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// TestReplayWindow is the long check against the reference gateway with a
// 10-second skew window (so it takes about 20 s, in parallel with the
// other tests): it passes when the gateway keeps nonces for twice the skew
// and more, and catches one that keeps them shorter — as long as the skew
// (the classic mistake) or 3 s short of twice the skew.
func TestReplayWindow(t *testing.T) {
	t.Parallel()
	const skew = 10 * time.Second
	cases := []struct {
		name      string
		retention time.Duration
		want      string
	}{
		{"retention of twice the skew and a second", 2*skew + time.Second, Pass},
		{"the default retention, 31 minutes", 0, Pass},
		{"retention as long as the skew", skew, Fail},
		{"retention 3 s short of twice the skew", 2*skew - 3*time.Second, Fail},
	}
	// The four checks wait together, in one test's time slot.
	reports := make([]*Report, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := gateway.StartLocal(gateway.Config{Skew: skew, NonceRetention: tc.retention})
			if err != nil {
				errs[i] = err
				return
			}
			defer func() { _ = l.Close() }()
			opts := demoOptions(nil)
			opts.Target, opts.Long, opts.Skew = l.URL, true, skew
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			reports[i], errs[i] = Run(ctx, opts)
		}()
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, errs[i])
			rep := reports[i]
			require.Len(t, rep.Results, 1, "only the replay-window check runs without scenarios")
			res := rep.Results[0]
			assert.Equal(t, "nonce/replay-window[run]", res.ID)
			require.Equal(t, tc.want, res.Status, "reason: %s; observed: %s", res.Reason, res.Observed)
			if tc.want == Fail {
				require.NotEmpty(t, res.Findings)
				assert.Equal(t, ruleNonceRetention, res.Findings[0].Rule, "the failure names the rule it breaks")
				assert.Equal(t, Must, res.Findings[0].Level)
			}
		})
	}
}

// TestEndOfRunReplay: every run replays at its end the nonces of its first
// valid requests; a gateway that keeps only its most recent nonces fails.
func TestEndOfRunReplay(t *testing.T) {
	t.Parallel()
	sc := builtinScenarios(t)
	for _, tc := range []struct {
		fault string
		want  string
	}{{"", Pass}, {string(gateway.FaultNonceLRU), Fail}} {
		target, stop, err := startGateway(tc.fault)
		require.NoError(t, err)
		opts := demoOptions(sc)
		opts.Target = target
		opts.Select = Selection{Categories: []string{"encoding", "signature"}}
		rep, err := Run(context.Background(), opts)
		require.NoError(t, stop())
		require.NoError(t, err)
		var end *Result
		for i := range rep.Results {
			if rep.Results[i].ID == "nonce/replayed-at-end[run]" {
				end = &rep.Results[i]
			}
		}
		require.NotNil(t, end, "every run ends with the replay of its early nonces")
		assert.Equal(t, tc.want, end.Status, "fault %q: %s (%s)", tc.fault, end.Reason, end.Observed)
		assert.Contains(t, end.Observed, "rpc: ", "one nonce per style is replayed")
	}
}
