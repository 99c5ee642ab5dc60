package load

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/signature"
)

// mismatchCodes are the codes a gateway answers a wrong signature with
// (docs/protocol.md §4.2, §9: either, [INF]).
var mismatchCodes = map[string]bool{"SignatureDoesNotMatch": true, "IncompleteSignature": true}

// WrongSecret is the diagnosis of a run whose signatures all failed while
// the target echoed a string to sign equal to ours: the official SDK says
// the same from the same echo. conform says it too, in the same words.
const WrongSecret = conformance.WrongSecret

// Explain says why no request of a run met its expectation, in one line,
// or "" when some did. Where the answers are signature mismatches, it
// signs one more request of the first item and sends it, to compare the
// string to sign the target echoes with ours.
func Explain(ctx context.Context, s *Summary, items []*Item, insecure bool) string {
	if s.Requests == 0 || s.Successes > 0 {
		return ""
	}
	if s.NoAnswer == s.Requests {
		cause := "no answer"
		if k, n := dominant(s.Errors); n > 0 {
			cause = fmt.Sprintf("%s (%d of %d)", k, n, s.Requests)
		}
		return "no request got an answer: " + cause
	}
	code, n := dominant(s.Codes)
	if mismatchCodes[code] && len(items) > 0 && items[0].sample != nil {
		if why := explainMismatch(ctx, items[0], insecure); why != "" {
			return why
		}
	}
	if n > 0 {
		return fmt.Sprintf("no request met its expectation: the target answered %s to %d of %d", code, n, s.Requests)
	}
	status, n := dominant(s.Status)
	return fmt.Sprintf("no request met its expectation: the target answered HTTP %s to %d of %d", status, n, s.Requests)
}

// dominant returns the key of m with the largest count (the first by name
// among equals).
func dominant(m map[string]uint64) (string, uint64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var best string
	var n uint64
	for _, k := range keys {
		if m[k] > n {
			best, n = k, m[k]
		}
	}
	return best, n
}

// explainMismatch sends one freshly signed request of it and compares the
// target's echoed string to sign with ours.
func explainMismatch(ctx context.Context, it *Item, insecure bool) string {
	signed, err := it.sample()
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := signed.HTTPRequest(ctx)
	if err != nil {
		return ""
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure}} //nolint:gosec // the user asked for it
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return conformance.ExplainEcho(errorMessage(body), signed.Artifacts.StringToSign)
}

// errorMessage is the Message of an error envelope, JSON or XML.
func errorMessage(body []byte) string {
	var j struct{ Message string }
	if json.Unmarshal(body, &j) == nil && j.Message != "" {
		return j.Message
	}
	var x struct{ Message string }
	if xml.Unmarshal(body, &x) == nil {
		return x.Message
	}
	return ""
}

// actionSample returns a function that signs one request of an action
// the slow way, with every intermediate artefact: the diagnosis needs our
// string to sign.
func actionSample(target string, a ActionSpec, creds signature.Credentials, nonces *signature.NonceSource) func() (*signature.Signed, error) {
	return func() (*signature.Signed, error) {
		b := &signature.Builder{Credentials: creds, Nonce: nonces.Next}
		return b.Sign(signature.Request{Style: a.Style, Method: a.Method, Endpoint: target, Host: a.Host, Path: a.Path,
			Action: a.Action, Version: a.Version, Query: a.Params, Format: a.Format})
	}
}
