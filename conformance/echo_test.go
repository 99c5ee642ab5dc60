package conformance

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// ExplainEcho reads a mismatch message as the official SDK does: the
// same string to sign means the secret, another one means where the two
// sides part, and no echo means nothing can be said.
func TestExplainEcho(t *testing.T) {
	t.Parallel()
	const ours = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DListInstances"
	for _, tc := range []struct {
		name, message string
		want          []string
	}{
		{"no echo", "Specified signature is not matched with our calculation.", nil},
		{"the same, RPC", msgMismatch + ours, []string{WrongSecret}},
		{"the same, IncompleteSignature", msgIncomplete + ours, []string{WrongSecret}},
		{"the same, V3", msgMismatchV3 + "ACS3-HMAC-SHA256\nabc]", nil},
		{"another", msgMismatch + "GET&%2F&AccessKeyId%3Dtestid%26Action%3DListGroupId",
			[]string{"every signature was refused, and the target's string to sign differs from ours at byte 44", `theirs …"KeyId%3Dtestid%26Action%3DListGroupId"…`, "acsharness conform"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ExplainEcho(tc.message, ours)
			if tc.want == nil {
				if strings.HasPrefix(tc.message, msgMismatchV3) {
					assert.NotEqual(t, WrongSecret, got, "a V3 echo of another string is no wrong secret")
					assert.Contains(t, got, "differs from ours at byte 0")
					return
				}
				assert.Empty(t, got, "nothing echoed, nothing concluded")
				return
			}
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
		})
	}
	assert.Equal(t, WrongSecret, ExplainEcho(msgMismatchV3+"ACS3-HMAC-SHA256\nabc] server CanonicalRequest is [GET\n/]", "ACS3-HMAC-SHA256\nabc"),
		"the V3 echo ends at its bracket, whatever follows")
	canonical, ok := echoedCanonicalRequest(msgMismatchV3 + "ACS3-HMAC-SHA256\nabc] server CanonicalRequest is [GET\n/\n]")
	assert.True(t, ok)
	assert.Equal(t, "GET\n/\n", canonical, "the echoed canonical request, without its brackets")
	_, ok = echoedCanonicalRequest(msgMismatchV3 + "ACS3-HMAC-SHA256\nabc]")
	assert.False(t, ok, "no canonical request echoed")
}

// diagnose concludes a wrong secret only when the key passed nowhere, and
// picks the first failed case whose echo differs.
func TestDiagnose(t *testing.T) {
	t.Parallel()
	mm := NewMismatch("GET&a", "GET&b")
	failSame := Result{ID: "a", Status: Fail}
	failOther := Result{ID: "b", Status: Fail, Mismatch: mm}
	passOther := Result{ID: "c", Status: Pass, Mismatch: NewMismatch("x", "y")}
	for _, tc := range []struct {
		name     string
		results  []Result
		echoes   []echo
		accepted bool
		want     *Diagnosis
	}{
		{"nothing echoed", []Result{{ID: "a", Status: Fail}}, []echo{echoNone}, false, nil},
		{"a passing case's difference says nothing", []Result{passOther}, []echo{echoNone}, true, nil},
		{"the same echo, the key passed nowhere", []Result{failSame, failSame}, []echo{echoSame, echoSame}, false,
			&Diagnosis{WrongSecret: WrongSecret, SameEcho: 2}},
		{"the same echo, the key passed elsewhere", []Result{failSame}, []echo{echoSame}, true,
			&Diagnosis{SameEcho: 1, KeyAccepted: true}},
		{"another echo: the first such case", []Result{failSame, passOther, failOther, {ID: "d", Status: Fail, Mismatch: NewMismatch("p", "q")}},
			[]echo{echoNone, echoNone, echoNone, echoNone}, true,
			&Diagnosis{OtherEcho: 2, Case: "b", Mismatch: mm, KeyAccepted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, diagnose(tc.results, tc.echoes, tc.accepted))
		})
	}
	lines := (&Diagnosis{WrongSecret: WrongSecret, SameEcho: 1, OtherEcho: 3, Case: "b", Mismatch: mm}).Lines()
	require.Len(t, lines, 2)
	assert.Equal(t, WrongSecret+" — 1 failed case was refused this way", lines[0])
	assert.Equal(t, "3 failed cases were refused with a string to sign that differs from ours: the target builds it differently; the first, b:", lines[1])
	assert.Contains(t, (&Diagnosis{SameEcho: 2, KeyAccepted: true}).Lines()[0], "the secret is right")
	assert.Nil(t, (*Diagnosis)(nil).Lines())
}

// A run says once why its signatures were refused, from what the target
// echoed: a wrong secret; a key derived differently (the same string, the
// key accepted elsewhere); a string to sign built differently, with the
// first such case and our canonical form; or nothing, when nothing failed.
func TestRunDiagnosis(t *testing.T) {
	t.Parallel()
	sc := builtinScenarios(t)
	demo := gateway.Demo()
	for _, tc := range []struct {
		name   string
		fault  gateway.Fault
		secret signature.Secret
		ids    []string
		check  func(t *testing.T, rep *Report)
	}{
		{"wrong secret", "", "not-" + demo.Main.AccessKeySecret, []string{"signature/valid*", "encoding/space"}, func(t *testing.T, rep *Report) {
			d := rep.Diagnosis
			require.NotNil(t, d, "a run refused for its secret says so")
			assert.Equal(t, WrongSecret, d.WrongSecret)
			assert.Equal(t, rep.Totals.Fail, d.SameEcho, "every failure is explained by the secret")
			assert.False(t, d.KeyAccepted)
			assert.Nil(t, d.Mismatch, "no string to sign differs")
		}},
		{"the RPC key without its ampersand", gateway.FaultRPCKeyNoAmpersand, "", []string{"signature/valid"}, func(t *testing.T, rep *Report) {
			d := rep.Diagnosis
			require.NotNil(t, d)
			assert.Empty(t, d.WrongSecret, "ROA and V3 requests signed with the key passed: the secret is right")
			assert.True(t, d.KeyAccepted)
			assert.Positive(t, d.SameEcho)
			assert.Contains(t, d.Lines()[0], "the secret is right")
		}},
		{"a '+' decoded as itself", gateway.FaultPlusLiteral, "", []string{"encoding/*"}, func(t *testing.T, rep *Report) {
			d := rep.Diagnosis
			require.NotNil(t, d)
			assert.Empty(t, d.WrongSecret)
			require.NotNil(t, d.Mismatch)
			first := ""
			for _, res := range rep.Results {
				if res.Status == Fail && res.Mismatch != nil {
					first = res.ID
					break
				}
			}
			assert.Equal(t, first, d.Case, "the first failed case whose echo differs, in report order")
			assert.Positive(t, d.OtherEcho)
			assert.NotEmpty(t, d.Mismatch.Canonical, "our canonical form beside the string to sign")
			assert.Equal(t, "GET&%2F&"+signature.PercentEncode(d.Mismatch.Canonical), d.Mismatch.Ours,
				"the RPC string to sign is the canonical query, encoded (docs/protocol.md §1.4)")
		}},
		{"a correct gateway", "", "", []string{"signature/valid", "encoding/space"}, func(t *testing.T, rep *Report) {
			assert.Zero(t, rep.Totals.Fail)
			assert.Nil(t, rep.Diagnosis, "nothing to explain")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, stop, err := startGateway(string(tc.fault))
			require.NoError(t, err)
			t.Cleanup(func() { _ = stop() })
			opts := demoOptions(sc)
			opts.Target, opts.Select = url, Selection{IDs: tc.ids}
			if tc.secret != "" {
				opts.Credentials.AccessKeySecret = tc.secret
			}
			rep, err := Run(context.Background(), opts)
			require.NoError(t, err)
			tc.check(t, rep)
		})
	}
}

// A V3 mismatch carries our canonical request (its string to sign holds
// only the hash), and the target's when it echoes one after the string to
// sign ("server CanonicalRequest is […]", docs/protocol.md §4).
func TestV3MismatchCanonicalRequest(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{Faults: []gateway.Fault{gateway.FaultV3EmptyPayloadHash}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	const theirs = "POST\n/\n\nhost:onsmqtt.cn-hangzhou.aliyuncs.com\n"
	target, err := url.Parse(l.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		// Inside the JSON string: the newlines escaped.
		body = bytes.Replace(body, []byte(`]"`), []byte(`] server CanonicalRequest is [`+strings.ReplaceAll(theirs, "\n", `\n`)+`]"`), 1)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, target, wantTheirs string
	}{{"without an echoed canonical request", l.URL, ""}, {"with one", srv.URL, theirs}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := demoOptions(builtinScenarios(t))
			opts.Target = tc.target
			opts.Select = Selection{IDs: []string{"encoding/form-tricky"}, Styles: []signature.Style{signature.V3}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := Run(ctx, opts)
			require.NoError(t, err)
			require.NotNil(t, rep.Diagnosis, "the V3 body hashed as empty: the strings to sign differ")
			m := rep.Diagnosis.Mismatch
			require.NotNil(t, m)
			assert.True(t, strings.HasPrefix(m.Ours, signature.V3Algorithm+"\n"), "a V3 string to sign: %q", m.Ours)
			assert.True(t, strings.HasPrefix(m.Canonical, "POST\n/\n"), "our canonical request: %q", m.Canonical)
			assert.Contains(t, m.Canonical, "\nx-acs-content-sha256:")
			assert.Equal(t, tc.wantTheirs, m.TheirCanonical)
		})
	}
}

// A failed case whose answer had the status and code expected carries the
// finding that failed it as its cause; one whose status was wrong does
// not (its expected/observed line says it).
func TestCauseWhenStatusAndCodeMatch(t *testing.T) {
	t.Parallel()
	sc := builtinScenarios(t)
	for _, tc := range []struct {
		name   string
		fault  gateway.Fault
		secret signature.Secret
		cause  string
	}{
		{"JSON answered for XML", gateway.FaultJSONForXML, "", "answered JSON"},
		{"a wrong secret", "", "not-the-secret", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, stop, err := startGateway(string(tc.fault))
			require.NoError(t, err)
			t.Cleanup(func() { _ = stop() })
			opts := demoOptions(sc)
			opts.Target, opts.Select = url, Selection{IDs: []string{"envelope/success-xml"}, Styles: []signature.Style{signature.RPC}}
			if tc.secret != "" {
				opts.Credentials.AccessKeySecret = tc.secret
			}
			rep, err := Run(context.Background(), opts)
			require.NoError(t, err)
			require.NotEmpty(t, rep.Results)
			res := rep.Results[0]
			require.Equal(t, Fail, res.Status, "%s: %s", res.ID, res.Reason)
			if tc.cause == "" {
				assert.Empty(t, res.Cause, "a wrong status is on the expected/observed line already: %s / %s", res.Expected, res.Observed)
				return
			}
			assert.Contains(t, res.Cause, tc.cause)
			assert.True(t, strings.HasPrefix(res.Observed, "200 success"), "the status and code were right: %s", res.Observed)
		})
	}
}

// Skipped cases are grouped by reason, each with what would run them, the
// most frequent first; the replay-window check is named when a run checked
// nonces without Long.
func TestOmissions(t *testing.T) {
	t.Parallel()
	l, err := gateway.StartLocal(gateway.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	opts := demoOptions(builtinScenarios(t))
	opts.Target, opts.InactiveKeyID, opts.SecondKey, opts.STSKey = l.URL, "", nil, nil
	opts.Select = Selection{Categories: []string{"nonce", "parameters"}, Styles: []signature.Style{signature.RPC}}
	rep, err := Run(context.Background(), opts)
	require.NoError(t, err)
	om := rep.Omissions()
	require.Len(t, om, 4, "%+v", om)
	byEnable := map[string]Omission{}
	for _, o := range om {
		byEnable[o.Enable] = o
	}
	inactive := byEnable[needs["inactive-key"].enable]
	assert.Equal(t, "no inactive key to check InvalidAccessKeyId.Inactive", inactive.Reason)
	assert.Contains(t, inactive.Enable, "--inactive-key-id")
	assert.Contains(t, byEnable[needs["second-key"].enable].Enable, "ACSHARNESS_SECOND_ACCESS_KEY_ID")
	assert.Contains(t, byEnable[needs["sts-key"].enable].Enable, "ACSHARNESS_STS_SECURITY_TOKEN")
	skipped := 0
	for i, o := range om[:3] {
		assert.Positive(t, o.Cases)
		if i > 0 {
			assert.GreaterOrEqual(t, om[i-1].Cases, o.Cases, "the most frequent first")
		}
		skipped += o.Cases
	}
	assert.Equal(t, rep.Totals.Skip, skipped, "every skipped case counted once")
	assert.Equal(t, replayWindowOmitted, om[3], "the replay-window check, last, with --long")
	assert.Contains(t, om[3].Enable, "--long")

	rep.Long = true
	assert.Len(t, rep.Omissions(), 3, "with --long the check ran")
	assert.Empty(t, (&Report{Results: []Result{{Category: "encoding", Style: "rpc", Status: Pass}}}).Omissions(),
		"a run that checked no nonce is not told about the replay window")
}
