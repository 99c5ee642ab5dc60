package conformance

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	darautil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/signature"
)

// TestValidRequestsMatchOfficialSigners recomputes, with the official SDK
// signers (openapi-util and darabonba-openapi), the signature of every
// request the built-in suite sends without a deviation, so that the suite
// cannot drift into testing our own signer's quirks: a valid request of the
// suite is valid for the SDKs too.
func TestValidRequestsMatchOfficialSigners(t *testing.T) {
	race.Skip(t, "a whole-suite run and the SDKs' signing of each request, pure logic; Run's concurrency is tested under -race in this package")
	t.Parallel()
	var mu sync.Mutex
	var sent []Sent
	opts := demoOptions(builtinScenarios(t))
	opts.OnSend = func(s Sent) {
		if s.Valid {
			mu.Lock()
			sent = append(sent, s)
			mu.Unlock()
		}
	}
	target, stop, err := startGateway("")
	require.NoError(t, err)
	defer func() { _ = stop() }()
	opts.Target = target
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, opts)
	require.NoError(t, err)
	require.False(t, rep.Failed(), "the suite passes against the reference gateway")

	styles := map[signature.Style]int{}
	for _, s := range sent {
		styles[s.Signed.Style]++
		switch s.Signed.Style {
		case signature.RPC:
			checkRPC(t, s)
		case signature.ROA:
			checkROA(t, s)
		case signature.V3:
			checkV3(t, s)
		}
	}
	for _, st := range signature.Styles {
		assert.Greater(t, styles[st], 20, "valid %s requests cross-checked", st)
	}
	t.Logf("cross-checked %d valid requests: %v", len(sent), styles)
}

func teaMap(p signature.Params) map[string]*string {
	m := make(map[string]*string, len(p))
	for _, q := range p {
		m[q.Key] = tea.String(q.Value)
	}
	return m
}

func checkRPC(t *testing.T, s Sent) {
	t.Helper()
	got, _ := s.Signed.Query.Get(signature.ParamSignature)
	params := teaMap(s.Signed.Query.Without(signature.ParamSignature))
	for _, q := range s.Signed.Form {
		params[q.Key] = tea.String(q.Value)
	}
	method, secret := tea.String(s.Signed.Method), tea.String(string(s.Secret))
	assert.Equal(t, got, tea.StringValue(openapiutil.GetRPCSignature(params, method, secret)),
		"%s step %d: openapi-util GetRPCSignature disagrees with the signature sent", s.Case, s.Step)
	assert.Equal(t, got, dara.StringValue(darautil.GetRPCSignature(params, method, secret)),
		"%s step %d: darabonba GetRPCSignature disagrees with the signature sent", s.Case, s.Step)
}

// lowerHeaders is the header map the SDKs sign from: lowercase names.
func lowerHeaders(h http.Header, host string) map[string]*string {
	m := map[string]*string{}
	for k, v := range h {
		if len(v) > 0 {
			m[strings.ToLower(k)] = tea.String(v[0])
		}
	}
	if host != "" {
		m["host"] = tea.String(host)
	}
	return m
}

func checkROA(t *testing.T, s Sent) {
	t.Helper()
	auth := s.Signed.Header.Get(signature.HeaderAuthorization)
	_, got, err := signature.ParseROAAuthorization(auth)
	require.NoError(t, err, s.Case)
	h := lowerHeaders(s.Signed.Header, "")
	delete(h, "authorization")
	path := s.Signed.Path
	sts := openapiutil.GetStringToSign(&tea.Request{Method: tea.String(s.Signed.Method), Pathname: tea.String(path), Headers: h, Query: teaMap(s.Signed.Query)})
	assert.Equal(t, got, tea.StringValue(openapiutil.GetROASignature(sts, tea.String(string(s.Secret)))),
		"%s step %d: openapi-util ROA signature disagrees with the one sent", s.Case, s.Step)
	dsts := darautil.GetStringToSign(&dara.Request{Method: dara.String(s.Signed.Method), Pathname: dara.String(path), Headers: h, Query: teaMap(s.Signed.Query)})
	assert.Equal(t, got, dara.StringValue(darautil.GetROASignature(dsts, dara.String(string(s.Secret)))),
		"%s step %d: darabonba ROA signature disagrees with the one sent", s.Case, s.Step)
}

func checkV3(t *testing.T, s Sent) {
	t.Helper()
	want := s.Signed.Header.Get(signature.HeaderAuthorization)
	h := lowerHeaders(s.Signed.Header, s.Signed.Host)
	delete(h, "authorization")
	// The SDKs sign every x-acs-*, host and content-type header, as ours
	// does; headers outside that set (accept) do not enter either.
	path := string(signature.AppendV3CanonicalURI(nil, s.Signed.Path))
	payload := s.Signed.Header.Get(signature.HeaderACSContentSHA256)
	secret, ak := string(s.Secret), s.Signed.AccessKeyID
	got := openapiutil.GetAuthorization(&tea.Request{Method: tea.String(s.Signed.Method), Pathname: tea.String(path), Headers: h, Query: teaMap(s.Signed.Query)},
		tea.String(signature.V3Algorithm), tea.String(payload), tea.String(ak), tea.String(secret))
	assert.Equal(t, want, tea.StringValue(got), "%s step %d: openapi-util GetAuthorization disagrees with the Authorization sent", s.Case, s.Step)
	dgot := darautil.GetAuthorization(&dara.Request{Method: dara.String(s.Signed.Method), Pathname: dara.String(path), Headers: h, Query: teaMap(s.Signed.Query)},
		dara.String(signature.V3Algorithm), dara.String(payload), dara.String(ak), dara.String(secret))
	assert.Equal(t, want, dara.StringValue(dgot), "%s step %d: darabonba GetAuthorization disagrees with the Authorization sent", s.Case, s.Step)
}
