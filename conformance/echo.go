package conformance

import (
	"fmt"
	"strings"
)

// WrongSecret is what refused signatures mean when the target echoes a
// string to sign equal to ours: both sides signed the same bytes, so only
// the key differs. The official SDK concludes the same from the same echo
// (alibaba-cloud-sdk-go, sdk/errors/signature_does_not_match_wrapper.go:
// "InvalidAccessKeySecret: Please check you AccessKeySecret").
const WrongSecret = "the AccessKey secret does not belong to this AccessKeyId: every signature was refused, and the target computed the same string to sign as we did, so only the secret differs (the official SDK concludes the same from this echo)"

// EchoedStringToSign extracts the string to sign a gateway echoes in an
// error message after "server string to sign is:" (docs/protocol.md §4), for the
// load generator's diagnosis of a run where every signature failed.
func EchoedStringToSign(msg string) (string, bool) { return echoedStringToSign(msg) }

// ExplainEcho says what the string to sign echoed in a mismatch message
// tells about signatures that were all refused: WrongSecret when it equals
// ours, where the two part otherwise, "" when the message echoes none.
// load and conform draw the same conclusion from the same echo.
func ExplainEcho(message, ours string) string {
	theirs, ok := echoedStringToSign(message)
	switch {
	case !ok:
		return ""
	case theirs == ours:
		return WrongSecret
	}
	return "every signature was refused, and " + NewMismatch(ours, theirs).Excerpt() +
		" (run `acsharness conform` against it for the cases that show why)"
}

// Excerpt is the first difference in one line: where, and 30 bytes either
// side of it in ours and theirs.
func (m *Mismatch) Excerpt() string {
	lo := max(m.At-30, 0)
	cut := func(s string) string { return s[min(lo, len(s)):min(m.At+30, len(s))] }
	return fmt.Sprintf("the target's string to sign differs from ours at byte %d: ours …%q…, theirs …%q…", m.At, cut(m.Ours), cut(m.Theirs))
}

// echoedCanonicalRequest extracts the canonical request a V3 mismatch
// message may carry after the string to sign, "server CanonicalRequest is
// […]" (docs/protocol.md §4: a third-party note, unverified; shown when present).
func echoedCanonicalRequest(msg string) (string, bool) {
	const marker = "server CanonicalRequest is ["
	i := strings.Index(msg, marker)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(marker):]
	return strings.TrimSuffix(rest, "]"), true
}

// Diagnosis is what a run concludes from the strings to sign its target
// echoed on the signatures it refused, said once at the top of every
// report: the secret is wrong (the echo equals ours and the key passed
// nowhere), the target keys the HMAC differently (the echo equals ours,
// but the key passed elsewhere), or the two sides build the string to sign
// differently (the first such case, with the difference).
type Diagnosis struct {
	// WrongSecret is set when failed cases were refused with the target's
	// string to sign equal to ours and no valid request signed with the key
	// was accepted; it holds the WrongSecret sentence.
	WrongSecret string `json:"wrong_secret,omitempty"`
	// KeyAccepted: valid requests signed with the key were accepted, so
	// refusals of the same string to sign are not the secret's fault.
	KeyAccepted bool `json:"key_accepted"`
	// SameEcho counts the failed cases refused with a string to sign equal
	// to ours; OtherEcho those refused with one that differs.
	SameEcho  int `json:"same_echo_cases"`
	OtherEcho int `json:"differing_echo_cases"`
	// Case is the first failed case (in report order) whose echoed string
	// to sign differs from ours, and Mismatch the difference.
	Case     string    `json:"first_differing_case,omitempty"`
	Mismatch *Mismatch `json:"string_to_sign_mismatch,omitempty"`
}

// Lines are the diagnosis in sentences, the wrong secret first; the
// difference itself is Mismatch, which each format shows its own way.
func (d *Diagnosis) Lines() []string {
	if d == nil {
		return nil
	}
	var out []string
	cases := func(n int) string {
		if n == 1 {
			return "1 failed case was"
		}
		return fmt.Sprintf("%d failed cases were", n)
	}
	switch {
	case d.WrongSecret != "":
		out = append(out, d.WrongSecret+" — "+cases(d.SameEcho)+" refused this way")
	case d.SameEcho > 0:
		// The HMAC keys (docs/protocol.md §1.4 step 4, §2.3, §3.2).
		out = append(out, cases(d.SameEcho)+" refused although the target echoed a string to sign equal to ours, while other requests "+
			"signed with the same key were accepted: the secret is right, so the target computes the signature from the same string "+
			"differently for these (its HMAC key, say: the secret followed by \"&\" for RPC, the bare secret for ROA and V3)")
	}
	if d.Mismatch != nil {
		out = append(out, fmt.Sprintf("%s refused with a string to sign that differs from ours: the target builds it differently; the first, %s:", cases(d.OtherEcho), d.Case))
	}
	return out
}

// echo is what one failed case's refusals echoed.
type echo uint8

const (
	echoNone  echo = iota
	echoSame       // a mismatch answer echoing a string to sign equal to ours
	echoOther      // one echoing a different string to sign
)

// diagnose draws the run's conclusion from its failed cases' echoes (see
// Diagnosis); accepted says whether any valid request signed with the
// main key was accepted, which rules out a wrong secret. Nil when there is
// nothing to say.
func diagnose(results []Result, echoes []echo, accepted bool) *Diagnosis {
	d := &Diagnosis{}
	for i := range results {
		res := &results[i]
		if res.Status != Fail {
			continue
		}
		switch {
		case echoes[i] == echoSame:
			d.SameEcho++
		case res.Mismatch != nil:
			d.OtherEcho++
			if d.Mismatch == nil {
				d.Case, d.Mismatch = res.ID, res.Mismatch
			}
		}
	}
	if d.SameEcho == 0 && d.Mismatch == nil {
		return nil
	}
	d.KeyAccepted = accepted
	if d.SameEcho > 0 && !accepted {
		d.WrongSecret = WrongSecret
	}
	return d
}
