package conformance

import (
	"slices"
	"time"
)

// Outcome of one case.
const (
	// Pass: every rule the case checks held (notes of `may` rules aside).
	Pass = "pass"
	// Warn: only `should` rules broke; a warning fails a run only under
	// --strict, where the case is Fail instead.
	Warn = "warn"
	// Fail: a `must` rule broke (or, under --strict, a `should` one).
	Fail = "fail"
	// Skip: the case could not run against this target; the reason says why.
	Skip = "skip"
)

// Finding is one way an answer departed from a rule.
type Finding struct {
	Rule  string `json:"rule"`
	Level Level  `json:"level"`
	// Step is the step (from 1) whose answer it concerns; 0 for a run-wide
	// check.
	Step    int    `json:"step"`
	Message string `json:"message"`
}

// String is the finding as one line: "[rule level] message".
func (f Finding) String() string {
	rule := f.Rule
	if rule == "" {
		rule = "scenario"
	}
	return "[" + rule + " " + string(f.Level) + "] " + f.Message
}

// Report is the outcome of a conformance run: what reports render.
type Report struct {
	Tool     string    `json:"tool"`
	Target   string    `json:"target"`
	Products []string  `json:"products"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_seconds"`
	// ClockOffset is the target's clock minus ours, from its Date header;
	// timestamps were shifted by it.
	ClockOffset float64 `json:"clock_offset_seconds"`
	// Findings are what the run learnt about the target as a whole (its
	// clock is wrong, say), said once at the top of every report; each
	// case's findings against rules are in its Result.
	Findings []string `json:"findings,omitempty"`
	// Diagnosis is what the strings to sign the target echoed on refused
	// signatures say about the run as a whole (a wrong secret, say), said
	// once at the top of every report; nil when they say nothing.
	Diagnosis *Diagnosis `json:"signature_diagnosis,omitempty"`
	// Strict means `should` findings failed their cases.
	Strict bool `json:"strict"`
	// Long means the replay-window check ran (--long).
	Long bool `json:"long"`
	// Interrupted means the run was stopped (SIGINT, SIGTERM) before it
	// finished: the cases it did not run, or did not finish, are skipped
	// as interrupted, never failed.
	Interrupted bool     `json:"interrupted"`
	Totals      Totals   `json:"totals"`
	ByCategory  []Totals `json:"by_category"`
	Results     []Result `json:"results"`
}

// Totals counts outcomes, overall or for one category.
type Totals struct {
	Category string `json:"category,omitempty"`
	Cases    int    `json:"cases"`
	Pass     int    `json:"pass"`
	Warn     int    `json:"warn"`
	Fail     int    `json:"fail"`
	Skip     int    `json:"skip"`
}

// Result is the outcome of one case: a scenario run in one style against
// one product.
type Result struct {
	// ID is "<scenario id>[<style>/<product>]".
	ID         string `json:"id"`
	ScenarioID string `json:"scenario"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	Style      string `json:"style"`
	Product    string `json:"product"`
	Spec       string `json:"spec,omitempty"`
	// Rules are the rules the case checks.
	Rules  []string `json:"rules,omitempty"`
	Status string   `json:"status"`
	Reason string   `json:"reason,omitempty"`
	// Cause, for a failed case whose answer had the status and code
	// expected, is the first finding that failed it ("answered JSON to a
	// request asking Format=XML, expected XML"): what the expected and
	// observed line alone does not show.
	Cause string `json:"cause,omitempty"`
	// Enable, for a skipped case, is the flag or environment variable
	// that would run it ("pass --inactive-key-id ID"); "" when none would.
	Enable   string  `json:"enable,omitempty"`
	Expected string  `json:"expected,omitempty"`
	Observed string  `json:"observed,omitempty"`
	Duration float64 `json:"duration_seconds"`
	// Mismatch, when the gateway echoed its string to sign and it differs
	// from ours, shows both and where they part.
	Mismatch *Mismatch `json:"string_to_sign_mismatch,omitempty"`
	// Findings are every departure from a rule, with its level: the
	// failures, the warnings and the notes.
	Findings []Finding   `json:"findings,omitempty"`
	Steps    []StepTrace `json:"steps,omitempty"`
	File     string      `json:"file,omitempty"`
	Line     int         `json:"line,omitempty"`
}

// Mismatch is a difference between our string to sign and the one the
// gateway echoed.
type Mismatch struct {
	Ours   string `json:"ours"`
	Theirs string `json:"theirs"`
	// At is the byte offset of the first difference.
	At int `json:"first_difference_at"`
	// Canonical is our canonical form of the request, the input of the
	// string to sign: the canonical query string (RPC), the canonicalized
	// headers and resource (ROA), the canonical request (V3, whose string
	// to sign holds only its hash).
	Canonical string `json:"canonical,omitempty"`
	// TheirCanonical is the canonical request a V3 target echoed after its
	// string to sign ("server CanonicalRequest is […]"), if it did.
	TheirCanonical string `json:"their_canonical,omitempty"`
}

// StepTrace is what one step sent and got, redacted: no signature, no
// secret, no security token.
type StepTrace struct {
	Name     string        `json:"name,omitempty"`
	Request  RequestTrace  `json:"request"`
	Response ResponseTrace `json:"response"`
	// Statuses of every copy of a concurrent step.
	Statuses []int    `json:"copy_statuses,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

// RequestTrace is a request as sent, redacted.
type RequestTrace struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// ResponseTrace is a response as received (the body cut at 4 KiB).
type ResponseTrace struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// Failed reports whether any case failed.
func (r *Report) Failed() bool { return r.Totals.Fail > 0 }

// tally fills the totals from the results.
func (r *Report) tally() {
	r.Totals = Totals{}
	by := map[string]*Totals{}
	for _, c := range Categories {
		by[c] = &Totals{Category: c}
	}
	for _, res := range r.Results {
		t, ok := by[res.Category]
		if !ok {
			t = &Totals{Category: res.Category}
			by[res.Category] = t
		}
		for _, x := range []*Totals{&r.Totals, t} {
			x.Cases++
			switch res.Status {
			case Pass:
				x.Pass++
			case Warn:
				x.Warn++
			case Fail:
				x.Fail++
			case Skip:
				x.Skip++
			}
		}
	}
	r.ByCategory = nil
	for _, c := range Categories {
		if by[c].Cases > 0 {
			r.ByCategory = append(r.ByCategory, *by[c])
		}
	}
}

// Omission is a reason cases did not run: how many were skipped for it,
// and the flag or environment variable that would run them.
type Omission struct {
	Reason string `json:"reason"`
	Enable string `json:"enable,omitempty"`
	// Cases is the number of cases skipped for the reason; 0 for a check
	// the run's options left out (the replay-window check without --long).
	Cases int `json:"cases"`
}

// replayWindowOmitted is the check a run without --long leaves out.
var replayWindowOmitted = Omission{
	Reason: "the replay-window check (" + ruleNonceRetention + ") did not run",
	Enable: "pass --long (it waits about twice the target's skew window; --skew gives the window)",
}

// Omissions are the distinct reasons cases were skipped, each once with
// its count and what enables it, the most frequent first (ties in report
// order); then the checks the options left out: the replay-window check,
// named when the run checked nonces without --long.
func (r *Report) Omissions() []Omission {
	var out []Omission
	for _, res := range r.Results {
		if res.Status != Skip {
			continue
		}
		i := slices.IndexFunc(out, func(o Omission) bool { return o.Reason == res.Reason && o.Enable == res.Enable })
		if i < 0 {
			out = append(out, Omission{Reason: res.Reason, Enable: res.Enable})
			i = len(out) - 1
		}
		out[i].Cases++
	}
	slices.SortStableFunc(out, func(a, b Omission) int { return b.Cases - a.Cases })
	if !r.Long && !r.Interrupted && slices.ContainsFunc(r.Results, func(res Result) bool { return res.Category == "nonce" && res.Style != "all" }) {
		out = append(out, replayWindowOmitted)
	}
	return out
}

// NewMismatch compares our string to sign with the one a gateway echoed.
func NewMismatch(ours, theirs string) *Mismatch {
	return &Mismatch{Ours: ours, Theirs: theirs, At: firstDifference(ours, theirs)}
}

// firstDifference returns the offset where a and b first differ.
func firstDifference(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
