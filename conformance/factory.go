package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// StepFactory builds fresh signed requests of one scenario step, again and
// again, and judges answers by the step's expectation: the load generator's
// way to replay scenarios, where "success" means "as the scenario expects",
// not "2xx".
type StepFactory struct {
	r     *runner
	c     Case
	step  *Step
	judge Step // the step as judged under load: no string-to-sign echo check
	style signature.Style
	ref   *signature.Signed // a request of the step, for what does not vary
}

// NewStepFactory prepares the first step of case c. Only scenarios of one
// step, sent once, without nonce reuse, can be replayed under load; any
// other is an error saying why.
func NewStepFactory(c Case, opts Options) (*StepFactory, error) {
	s := c.Scenario
	switch {
	case len(s.Steps) != 1:
		return nil, fmt.Errorf("scenario %s has %d steps: a load workload replays scenarios of one step", s.ID, len(s.Steps))
	case s.Steps[0].Copies > 1:
		return nil, fmt.Errorf("scenario %s sends concurrent copies: a load workload replays scenarios of one request", s.ID)
	case len(s.Steps[0].Capture) > 0:
		return nil, fmt.Errorf("scenario %s captures values for a later step: it cannot be replayed under load", s.ID)
	}
	r := &runner{opts: opts, nonces: signature.NewNonceSource()}
	if opts.Now == nil {
		r.opts.Now = time.Now
	}
	if opts.Rules == nil {
		rules, err := BuiltinRules()
		if err != nil {
			return nil, err
		}
		r.opts.Rules = rules
	}
	if why, ok := r.skipReason(&c); ok {
		return nil, fmt.Errorf("scenario %s cannot run against this target: %s: %s", s.ID, why.reason, why.enable)
	}
	style := c.Style
	if st := s.Steps[0].Request.Style; st != "" {
		style = st
	}
	f := &StepFactory{r: r, c: c, step: &s.Steps[0], judge: s.Steps[0], style: style}
	// Under load each request has its own nonce and time, so the echoed
	// string to sign cannot be compared with a reference request's.
	f.judge.Expect.EchoStringToSign = false
	ref, err := f.Build()
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.ID, err)
	}
	f.ref = ref
	return f, nil
}

// Style is the signing style of the step's requests.
func (f *StepFactory) Style() signature.Style { return f.style }

// SetNonces makes the factory draw its nonces from src (a shard's own
// namespace).
func (f *StepFactory) SetNonces(src *signature.NonceSource) { f.r.nonces = src }

// Build signs a fresh request of the step, deviations included.
func (f *StepFactory) Build() (*signature.Signed, error) {
	s, _, err := f.r.build(&f.c, f.style, f.step, nil)
	return s, err
}

// Judge reports whether an answer is what the step expects — no `must`
// rule broken; warnings do not count under load — and the error code the
// answer carried. signed is the request answered, or nil for any request
// of the step.
func (f *StepFactory) Judge(signed *signature.Signed, status int, header http.Header, body []byte) (bool, string) {
	if signed == nil {
		signed = f.ref
	}
	_, action, err := f.r.request(f.c.Profile, f.style, f.step)
	if err != nil {
		return false, ""
	}
	chk := checker{c: &f.c, rules: f.r.opts.Rules, style: f.style, action: action, signed: signed, creds: f.r.opts.Credentials,
		rule: f.r.stepRule(f.c.Scenario, f.step, f.style), noEcho: true}
	if header == nil {
		header = http.Header{}
	}
	_, _, findings, _ := chk.check(&f.judge, []exchange{{signed: signed, status: status, header: header, body: body}})
	env := parseEnvelope(header.Get("Content-Type"), body)
	return !slices.ContainsFunc(findings, func(x Finding) bool { return x.Level == Must }), env.fields["Code"]
}
