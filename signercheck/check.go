package signercheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// Options say which signer to check, on which cases, and how to measure it.
type Options struct {
	// Command is the signer's argv; Env is added to this process's
	// environment for it.
	Command []string
	Env     []string
	// Styles limits the cases to these styles; nil means all three.
	Styles []signature.Style
	// Cases is the number of random hard cases per style, besides every
	// golden vector; Seed seeds them (as `acsharness vectors export`).
	Cases int
	Seed  uint64
	// MaxFailures stops the check after so many failed cases; 0 means 1.
	MaxFailures int
	// Timeout bounds the wait for one reply; 0 means 10 s.
	Timeout time.Duration
	// BenchCalls is the number of timed calls per throughput figure, after
	// Warmup untimed ones; BenchTime bounds each figure's timed calls. A
	// BenchCalls of 0 skips the measurement.
	BenchCalls int
	Warmup     int
	BenchTime  time.Duration
	// Echo is the argv of the echo signer ([Echo]) whose throughput is the
	// pipe's own cost, with EchoEnv added to its environment; nil skips it.
	Echo    []string
	EchoEnv []string
}

// Result is what a check found.
type Result struct {
	Command string `json:"command"`
	Seed    uint64 `json:"seed"`
	// RandomPerStyle is the number of random cases per style.
	RandomPerStyle int           `json:"random_per_style"`
	Styles         []StyleResult `json:"styles"`
	// Failures are the failed cases, in the order they ran.
	Failures []Failure `json:"failures,omitempty"`
	// Stopped says the check stopped after MaxFailures, before every case.
	Stopped bool `json:"stopped_early,omitempty"`
	// Throughput is nil when not measured.
	Throughput *Throughput `json:"throughput,omitempty"`
	// ProtocolError, when the signer broke the protocol, says how; the
	// counts cover the cases answered before.
	ProtocolError string `json:"protocol_error,omitempty"`
}

// StyleResult counts the cases of one style.
type StyleResult struct {
	Style  signature.Style `json:"style"`
	Cases  int             `json:"cases"`
	Passed int             `json:"passed"`
	Failed int             `json:"failed"`
	// FailedAt counts the failed cases by the first step that differs.
	FailedAt map[string]int `json:"failed_at,omitempty"`
	// Compared are the steps the signer returned and that were compared.
	Compared []string `json:"compared_steps"`
	// Variants count the cases passed in an accepted form other than the
	// reference signer's.
	Variants []VariantCount `json:"accepted_variants,omitempty"`
}

// VariantCount is how many cases a signer signed in one accepted variant.
type VariantCount struct {
	Forms []signature.Form `json:"forms"`
	Cases int              `json:"cases"`
}

// Failure is one case the signer got wrong: the first step where it
// departs, both values and where they part.
type Failure struct {
	ID     string          `json:"id"`
	Style  signature.Style `json:"style"`
	Source string          `json:"source"`
	// Request is the request line of the case (its request.http).
	Request string `json:"request"`
	Step    string `json:"step"`
	// Matched are the steps before Step that the signer got right.
	Matched  []string              `json:"matched_steps,omitempty"`
	Ours     string                `json:"ours"`
	Theirs   string                `json:"theirs"`
	Mismatch *conformance.Mismatch `json:"difference,omitempty"`
	// Against names the accepted variant compared with, when it matched
	// more steps than the reference form.
	Against []signature.Form `json:"compared_with_variant,omitempty"`
	// Error is what the signer said when it could not sign the case.
	Error string `json:"signer_error,omitempty"`
}

// Passed reports whether every case ran and passed.
func (r *Result) Passed() bool { return len(r.Failures) == 0 && r.ProtocolError == "" }

// candidate is one accepted way to sign a case: the reference form, or an
// alternative (Forms set).
type candidate struct {
	forms []signature.Form
	steps corpus.Steps
}

func (c *candidate) value(step string) string {
	switch step {
	case StepCanonical:
		return c.steps.Canonical
	case StepStringToSign:
		return c.steps.StringToSign
	case StepSignature:
		return c.steps.Signature
	default:
		return c.steps.Authorization
	}
}

// candidates returns the steps of c in the reference form, then in each
// accepted alternative (a golden vector signed in a variant is among them).
func candidates(c *corpus.Case) []candidate {
	ref := c.Expect
	if len(c.Variant) > 0 {
		ref, _ = corpus.Sign(&c.Input)
	}
	out := []candidate{{steps: ref}}
	m := c.Input.Message()
	for _, a := range corpus.Alternatives(c.Input.Style, &m, signature.Secret(c.Input.Secret)) {
		s := corpus.Steps{Canonical: a.Artifacts.Canonical, StringToSign: a.Artifacts.StringToSign, Signature: a.Artifacts.Signature}
		s.Authorization = signature.ROAAuthorization(c.Input.AccessKeyID, s.Signature)
		out = append(out, candidate{forms: a.Forms, steps: s})
	}
	return out
}

// Check runs the signer of o on the golden vectors and o.Cases random
// cases per style, then measures its throughput. The error is a
// *StartError when the signer cannot start, a *ProtocolError when it
// breaks the protocol (the result then holds the cases checked so far),
// or ctx's error when interrupted.
func Check(ctx context.Context, o Options) (*Result, error) {
	res, err := check(ctx, o)
	var pe *ProtocolError
	if errors.As(err, &pe) && res != nil {
		res.ProtocolError = pe.Error()
	}
	return res, err
}

func check(ctx context.Context, o Options) (*Result, error) {
	if o.MaxFailures <= 0 {
		o.MaxFailures = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	cases, err := corpus.Build(corpus.Options{Random: o.Cases, Seed: o.Seed, Styles: o.Styles})
	if err != nil {
		return nil, err
	}
	res := &Result{Command: strings.Join(o.Command, " "), Seed: o.Seed, RandomPerStyle: o.Cases}
	p, err := Start(ctx, o.Command, o.Env)
	if err != nil {
		return res, err
	}
	defer p.Close()

	lines := make([][]byte, len(cases))
	compared := map[signature.Style]map[string]bool{}
	variants := map[signature.Style]map[string]*VariantCount{}
	for i := range cases {
		st := cases[i].Input.Style
		if compared[st] == nil {
			res.Styles = append(res.Styles, StyleResult{Style: st})
			compared[st], variants[st] = map[string]bool{}, map[string]*VariantCount{}
		}
		if lines[i], err = cases[i].Input.MarshalLine(); err != nil {
			return res, err
		}
	}
	byStyle := map[signature.Style]*StyleResult{}
	for i := range res.Styles {
		byStyle[res.Styles[i].Style] = &res.Styles[i]
	}
	for i := range cases {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		c := &cases[i]
		raw, err := p.Call(c.Input.ID, lines[i], o.Timeout)
		if err != nil {
			return res, err
		}
		reply, err := ParseReply(raw)
		if err != nil {
			return res, &ProtocolError{CaseID: c.Input.ID, Line: quoteLine(raw), Reason: err.Error(), Stderr: p.Stderr()}
		}
		if reply.ID != c.Input.ID {
			return res, &ProtocolError{CaseID: c.Input.ID, Line: quoteLine(raw),
				Reason: fmt.Sprintf("the reply's id is %q: answer each request, in order, with its own id", reply.ID), Stderr: p.Stderr()}
		}
		sr := byStyle[c.Input.Style]
		sr.Cases++
		f, used := compare(c, &reply, compared[c.Input.Style])
		if f != nil {
			sr.Failed++
			if sr.FailedAt == nil {
				sr.FailedAt = map[string]int{}
			}
			sr.FailedAt[f.Step]++
			res.Failures = append(res.Failures, *f)
			if len(res.Failures) >= o.MaxFailures && i < len(cases)-1 {
				res.Stopped = true
				break
			}
			continue
		}
		sr.Passed++
		if len(used) > 0 {
			key := formsKey(used)
			vc := variants[c.Input.Style][key]
			if vc == nil {
				vc = &VariantCount{Forms: used}
				variants[c.Input.Style][key] = vc
			}
			vc.Cases++
		}
	}
	for i := range res.Styles {
		sr := &res.Styles[i]
		for _, s := range Steps {
			if compared[sr.Style][s] {
				sr.Compared = append(sr.Compared, s)
			}
		}
		for _, vc := range variants[sr.Style] {
			sr.Variants = append(sr.Variants, *vc)
		}
		sortVariants(sr.Variants)
	}
	if o.BenchCalls > 0 && !res.Stopped {
		res.Throughput, err = measureAll(ctx, o, p, cases, lines)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// compare checks the steps a reply gave against every accepted way to sign
// the case. It returns nil and the forms used (none for the reference
// form) when some candidate matches every step given; otherwise the
// failure against the candidate that matched the most steps in order.
func compare(c *corpus.Case, r *Reply, compared map[string]bool) (*Failure, []signature.Form) {
	fail := &Failure{ID: c.Input.ID, Style: c.Input.Style, Source: c.Source}
	fail.Request, _, _ = strings.Cut(c.HTTP(false), "\n")
	if r.Error != "" && r.Signature == nil {
		fail.Step, fail.Error = StepError, r.Error
		return fail, nil
	}
	var given []string
	for _, s := range Steps {
		if s == StepAuthorization && c.Input.Style == signature.RPC {
			continue // RPC has no Authorization header
		}
		if _, ok := r.step(s); ok {
			given = append(given, s)
			compared[s] = true
		}
	}
	cands := candidates(c)
	best, bestMatched := -1, -1
	for i, cand := range cands {
		matched := 0
		for _, s := range given {
			v, _ := r.step(s)
			if v != cand.value(s) {
				break
			}
			matched++
		}
		if matched == len(given) {
			return nil, cand.forms
		}
		if matched > bestMatched {
			best, bestMatched = i, matched
		}
	}
	cand := cands[best]
	step := given[bestMatched]
	theirs, _ := r.step(step)
	fail.Step, fail.Matched, fail.Against = step, given[:bestMatched], cand.forms
	fail.Ours, fail.Theirs = cand.value(step), theirs
	fail.Mismatch = conformance.NewMismatch(fail.Ours, fail.Theirs)
	return fail, nil
}

func formsKey(fs []signature.Form) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Aspect + "=" + f.Variant + ";")
	}
	return b.String()
}

func sortVariants(v []VariantCount) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && formsKey(v[j].Forms) < formsKey(v[j-1].Forms); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}
