package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// Nonce retention (docs/protocol.md §4.1): a nonce must stay used for at least
// twice the skew window, or a request stamped at one edge of the window
// can be replayed, unrefused, before its time leaves the other edge. Two
// run-wide checks prove it: every run replays at its end nonces used at
// its start; with Options.Long, a request stamped at the far edge of the
// window is replayed just before its time leaves the window.

// earlyNonce is a nonce a valid request used early in the run, and how to
// build that request again.
type earlyNonce struct {
	c     *Case
	step  *Step
	style signature.Style
	nonce string
}

// maxEarlyNonces is how many early nonces a run replays at its end: one
// per style.
const maxEarlyNonces = 3

// noteEarlyNonce keeps the nonce of a valid request the target accepted,
// the first of each style.
func (r *runner) noteEarlyNonce(c *Case, st *Step, style signature.Style, nonce string) {
	if nonce == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.early {
		if e.style == style {
			return
		}
	}
	if len(r.early) < maxEarlyNonces {
		r.early = append(r.early, earlyNonce{c: c, step: st, style: style, nonce: nonce})
	}
}

// retentionResult is the Result of a run-wide nonce check.
func retentionResult(id, title string, rules ...string) Result {
	return Result{ID: id + "[run]", ScenarioID: id, Title: title, Category: "nonce", Style: "all", Product: "all",
		Spec: "docs/protocol.md §4.1", Rules: rules}
}

// endOfRunCheck replays, at the end of the run, the nonces valid requests
// used at its start, each in a request signed afresh (a fresh timestamp,
// so that only the nonce can refuse it): each must be refused with
// SignatureNonceUsed.
func (r *runner) endOfRunCheck(ctx context.Context, started time.Time) Result {
	res := retentionResult("nonce/replayed-at-end", "Nonces used at the start of the run are refused at its end", ruleNonceRetention)
	res.Expected = "400 SignatureNonceUsed for each nonce replayed"
	r.mu.Lock()
	early := append([]earlyNonce(nil), r.early...)
	r.mu.Unlock()
	if len(early) == 0 {
		res.Status, res.Reason = Skip, "no valid request of the run was accepted, so no nonce to replay"
		return res
	}
	start := time.Now()
	var observed []string
	res.Status = Pass
	for _, e := range early {
		st := *e.step
		st.Sign.Nonce = "literal:" + e.nonce
		st.Sign.Timestamp = TimeSpec{}
		ans, err := r.sendOnce(ctx, e.c, e.style, &st)
		if ans.err != nil && ctx.Err() != nil {
			res.Status, res.Reason, res.Findings, res.Observed = Skip, skipInterrupted, nil, ""
			return res
		}
		if err != nil {
			r.runFinding(&res, ruleNonceRetention, err.Error())
			continue
		}
		env := parseEnvelope(ans.header.Get("Content-Type"), ans.body)
		observed = append(observed, string(e.style)+": "+describe(ans, env))
		if ans.err == nil && env.fields["Code"] == codeNonceUsed {
			continue
		}
		r.runFinding(&res, ruleNonceRetention, fmt.Sprintf("the %s nonce %q of %s, accepted %s earlier, was not refused as used: %s",
			e.style, e.nonce, e.c.ID, r.opts.Now().Sub(started).Round(time.Millisecond), describe(ans, env)))
	}
	res.Observed = strings.Join(observed, "; ")
	res.Duration = time.Since(start).Seconds()
	return res
}

// replayWindowCheck is the long check: an RPC request stamped at the far
// (future) edge of the skew window, less a margin, is accepted; the same
// request, replayed when its time is about to leave the window on the
// other side — nearly twice the skew later — must be refused with
// SignatureNonceUsed. It catches a target whose retention is shorter than
// 2×skew − 2×margin, the margin max(1 s, skew/50) absorbing clock offsets
// below the 2 s the runner corrects and the delays of a busy machine.
func (r *runner) replayWindowCheck(ctx context.Context) Result {
	res := retentionResult("nonce/replay-window", "A request stamped at the far edge of the skew window is refused when replayed before its time leaves the window",
		ruleNonceRetention, "ts.window")
	skew := r.opts.Skew
	margin := max(time.Second, skew/50)
	res.Expected = fmt.Sprintf("accepted once, then 400 SignatureNonceUsed about %s later (skew %s)", 2*(skew-margin), skew)
	p := &r.opts.Profiles[0]
	c := &Case{ID: res.ID, Scenario: &Scenario{ID: res.ScenarioID, Rules: res.Rules}, Style: signature.RPC, Profile: p}
	res.Product, res.Style = p.Product, string(signature.RPC)
	start := time.Now()
	// The gateway starts keeping the nonce when the first request reaches
	// it: an answer that took long (a busy machine) shortens the interval
	// the replay measures by as much, so the first request is sent again,
	// with a fresh nonce and edge, when its answer took more than half the
	// margin (at most firstAttempts times; the last is kept either way).
	const firstAttempts = 3
	var (
		edge   time.Time
		signed *signature.Signed
	)
	for attempt := 1; ; attempt++ {
		// Start so that now+skew−margin falls just after a whole second:
		// the timestamp, whole seconds, then sits margin+10ms inside the
		// window.
		edge = r.now().Add(skew - margin).Truncate(time.Second).Add(time.Second)
		if !sleepCtx(ctx, edge.Add(-(skew-margin)+10*time.Millisecond).Sub(r.now())) {
			res.Status, res.Reason = Skip, skipInterrupted
			return res
		}
		st := &Step{Sign: SignSpec{Nonce: "literal:" + randomHex(16), Timestamp: TimeSpec{Literal: string(signature.AppendTimestamp(nil, edge))}}}
		var err error
		signed, _, err = r.buildWith(c, signature.RPC, st, nil, r.opts.Credentials)
		if err != nil {
			r.runFinding(&res, ruleNonceRetention, err.Error())
			return res
		}
		sent := time.Now()
		first := r.send(ctx, []*signature.Signed{signed})[0]
		if first.err != nil && ctx.Err() != nil {
			res.Status, res.Reason = Skip, skipInterrupted
			return res
		}
		env := parseEnvelope(first.header.Get("Content-Type"), first.body)
		if first.err != nil || first.status != 200 || env.isError(first.status) {
			r.runFinding(&res, "ts.window", fmt.Sprintf("a request stamped %s, %s ahead (inside the --skew %s window), was refused: %s",
				edge.Format(time.RFC3339), (skew-margin).Round(time.Millisecond), skew, describe(first, env)))
			res.Observed = describe(first, env)
			return res
		}
		if time.Since(sent) <= margin/2 || attempt == firstAttempts {
			break
		}
	}
	// Replay when the timestamp is margin from leaving the window behind.
	replayAt := edge.Add(skew - margin)
	if !sleepCtx(ctx, replayAt.Sub(r.now())) {
		res.Status, res.Reason = Skip, skipInterrupted
		return res
	}
	again := r.send(ctx, []*signature.Signed{signed})[0]
	if again.err != nil && ctx.Err() != nil {
		res.Status, res.Reason = Skip, skipInterrupted
		return res
	}
	env := parseEnvelope(again.header.Get("Content-Type"), again.body)
	res.Observed = "first 200; replay " + describe(again, env)
	res.Duration = time.Since(start).Seconds()
	switch code := env.fields["Code"]; {
	case again.err == nil && code == codeNonceUsed:
		res.Status = Pass
	case code == "InvalidTimeStamp.Expired":
		res.Status, res.Reason = Skip, fmt.Sprintf("the replay, sent %s before its time left a %s window, was refused as expired: "+
			"is the target's window narrower than --skew %s?", margin, skew, skew)
	default:
		r.runFinding(&res, ruleNonceRetention, fmt.Sprintf("the same request, replayed %s after it was accepted and %s before its timestamp left the window, "+
			"was not refused as used: the target forgets nonces sooner than twice its skew (%s): %s",
			replayAt.Sub(edge.Add(-(skew-margin))).Round(time.Second), margin, 2*skew, describe(again, env)))
	}
	return res
}

// sendOnce builds a request of step st in style and sends it.
func (r *runner) sendOnce(ctx context.Context, c *Case, style signature.Style, st *Step) (exchange, error) {
	s, _, err := r.buildWith(c, style, st, nil, r.opts.Credentials)
	if err != nil {
		return exchange{}, err
	}
	return r.send(ctx, []*signature.Signed{s})[0], nil
}

// sleepCtx sleeps for d, or until ctx is done; it reports whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
