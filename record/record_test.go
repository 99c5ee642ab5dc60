package record_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/signature"
)

// sendSigned sends s to the gateway at addr and returns the status.
func sendSigned(t *testing.T, s *signature.Signed) int {
	t.Helper()
	hr, err := s.HTTPRequest(context.Background())
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func builder() *signature.Builder {
	return &signature.Builder{Credentials: gateway.Demo().Main}
}

// A hand-made client with two known departures: '~' sent as %7E (which
// the gateway decodes, so the call succeeds) and an RPC key without its
// '&' (which the gateway refuses). The report names exactly those two, the
// second at the step it lives in.
func TestRecordHandMadeClient(t *testing.T) {
	t.Parallel()
	addr, stop := recorded(t)
	req := signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + addr, Action: "ListInstances",
		Version: rabbitVersion, Format: "JSON", Query: signature.Params{{Key: "MaxResults", Value: "1"}, {Key: "Note", Value: "a~b"}}}

	tilde, err := builder().Sign(req)
	require.NoError(t, err)
	tilde.RawQuery = strings.ReplaceAll(string(signature.AppendQuery(nil, tilde.Query, true)), "~", "%7E")
	require.Contains(t, tilde.RawQuery, "a%7Eb")
	assert.Equal(t, http.StatusOK, sendSigned(t, tilde), "the gateway decodes %7E: the call succeeds")

	key, err := builder().Sign(req)
	require.NoError(t, err)
	mac := hmac.New(sha1.New, []byte(gateway.DemoKeySecret)) // the departure: the RPC key is secret + "&"
	mac.Write([]byte(key.Artifacts.StringToSign))
	key.Query = key.Query.Set(signature.ParamSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	assert.Equal(t, http.StatusBadRequest, sendSigned(t, key), "the gateway refuses the signature")

	rep := stop()
	require.Equal(t, 2, rep.Requests)
	assert.Equal(t, 2, rep.Departures, "exactly the two departures")
	var departed []string
	for _, r := range rep.Rules {
		if r.Class == record.ClassDeparture {
			departed = append(departed, r.ID)
		}
	}
	assert.ElementsMatch(t, []string{record.RuleWireTilde, record.RuleSignature}, departed)
	assertForm(t, rep, record.RuleWireTilde, map[string]string{"%7E": record.ClassDeparture, "~": record.ClassDocumented})
	assertForm(t, rep, record.RuleSignature, map[string]string{record.ValueVerified: record.ClassDocumented, "wrong at signature": record.ClassDeparture})
	wrong := forms(t, rep, record.RuleSignature)["wrong at signature"]
	require.Len(t, wrong.Details, 1)
	assert.Contains(t, wrong.Details[0], "the key is the secret without its '&'")
	assert.Equal(t, []int{2}, wrong.Examples)
	assert.ElementsMatch(t, []record.Count{{Name: "OK", Requests: 1}, {Name: gateway.CodeSignatureDoesNotMatch, Requests: 1}}, rep.Verdicts)
}

// Each known mistake of a hand-written signer is named with its step.
func TestRecordNamesTheStep(t *testing.T) {
	t.Parallel()
	addr, stop := recorded(t)
	req := signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: "http://" + addr, Action: "ListInstances",
		Version: rabbitVersion, Format: "JSON", Query: signature.Params{{Key: "NextToken", Value: "a b*c~d"}}}
	for _, edit := range []func(string) string{
		func(c string) string { return strings.ReplaceAll(c, "%20", "+") },
		func(c string) string { return strings.ReplaceAll(c, "%2A", "*") },
		func(c string) string { return strings.ReplaceAll(c, "~", "%7E") },
	} {
		s, err := builder().Sign(req)
		require.NoError(t, err)
		mac := hmac.New(sha1.New, []byte(gateway.DemoKeySecret+"&"))
		mac.Write([]byte("GET&%2F&" + signature.PercentEncode(edit(s.Artifacts.Canonical))))
		s.Query = s.Query.Set(signature.ParamSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		sendSigned(t, s)
	}
	s, err := builder().Sign(req)
	require.NoError(t, err)
	mac := hmac.New(sha1.New, []byte(gateway.DemoKeySecret+"&"))
	mac.Write([]byte("GET&%2F&" + s.Artifacts.Canonical))
	s.Query = s.Query.Set(signature.ParamSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	sendSigned(t, s)

	rep := stop()
	canonical := forms(t, rep, record.RuleSignature)["wrong at canonical"]
	assert.Equal(t, 3, canonical.Requests)
	assert.ElementsMatch(t, []string{"a space encoded '+' rather than %20 (docs/protocol.md §1.3)", "'*' left raw rather than %2A (docs/protocol.md §1.3)",
		"'~' encoded %7E rather than left raw (docs/protocol.md §1.3)"}, canonical.Details)
	sts := forms(t, rep, record.RuleSignature)["wrong at string_to_sign"]
	assert.Equal(t, 1, sts.Requests)
}

// A recording keeps no secret, security token, signature, nonce or key ID,
// whatever carries it; and what a client sent twice is a repeated nonce.
func TestRecordRedacts(t *testing.T) {
	t.Parallel()
	const token, bodySecret = "STS-TOKEN-c2VjcmV0dG9rZW4", "body-secret-0123456789"
	g, err := gateway.New(gateway.Config{})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "rec")
	rec, err := record.New(record.Options{Dir: dir})
	require.NoError(t, err)
	srv := httptest.NewServer(rec.Wrap(g.Handler()))
	defer srv.Close()

	b := builder()
	b.Credentials.SecurityToken = token
	var secrets []string
	for _, style := range signature.Styles {
		s, err := b.Sign(signature.Request{Style: style, Method: http.MethodPost, Endpoint: srv.URL, Path: "/pop/v1/wam/appEnv",
			Action: "ListInstances", Version: rabbitVersion, Format: "JSON"})
		require.NoError(t, err)
		if style == signature.RPC {
			s.Form = signature.Params{{Key: "AccessKeySecret", Value: bodySecret}}
			s.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			s.Body = []byte(`{"AccessKeySecret":"` + bodySecret + `","SecurityToken":"` + token + `"}`)
		}
		secrets = append(secrets, s.Artifacts.Signature, s.Nonce)
		sendSigned(t, s)
		sendSigned(t, s) // a replay: the nonce repeats
	}
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, rec.Close())

	raw, err := os.ReadFile(filepath.Join(dir, record.FileRequests))
	require.NoError(t, err)
	for _, planted := range append(secrets, token, bodySecret, gateway.DemoKeySecret, gateway.DemoKeyID) {
		assert.NotContains(t, string(raw), planted, "the recording must not keep %q", planted)
	}
	assert.Contains(t, string(raw), "[redacted]")
	m, recs, err := record.Load(dir)
	require.NoError(t, err)
	assert.Len(t, recs, 6, "every request but the health probe")
	rep := record.Build(dir, m, recs)
	assertForm(t, rep, record.RuleNonceUnique, map[string]string{record.ValueUnique: record.ClassDocumented, record.ValueRepeated: record.ClassDeparture})
	assertForm(t, rep, record.RuleSignature, map[string]string{record.ValueNotChecked: record.ClassNotChecked})
	assert.Equal(t, 3, forms(t, rep, record.RuleNonceUnique)[record.ValueRepeated].Requests)
}

// A body longer than what the recorder keeps reaches the gateway whole.
func TestRecordPassesLongBodies(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "rec")
	rec, err := record.New(record.Options{Dir: dir, MaxBody: 8})
	require.NoError(t, err)
	var got []byte
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot)
	}))
	body := strings.Repeat("0123456789", 100)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body)))
	assert.Equal(t, body, string(got), "the handler reads the whole body")
	assert.Equal(t, http.StatusTeapot, w.Code)
	require.NoError(t, rec.Close())
	_, recs, err := record.Load(dir)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, int64(len(body)), recs[0].Request.BodyBytes)
	assert.Equal(t, http.StatusTeapot, recs[0].Response.Status)
}

func TestRecordErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec, err := record.New(record.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	_, err = record.New(record.Options{Dir: dir})
	assert.ErrorContains(t, err, "already holds a recording")
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = record.New(record.Options{Dir: filepath.Join(file, "sub")})
	assert.ErrorContains(t, err, "pick a folder you can write")
	_, err = record.New(record.Options{})
	assert.ErrorContains(t, err, "--record DIR")

	_, _, err = record.Load(t.TempDir())
	assert.ErrorContains(t, err, "has no recording.json")

	// A bad line is named by file and line; a last line cut short by a
	// crash is dropped.
	good := `{"seq":1,"time":"2026-01-01T00:00:00Z","request":{"method":"GET","uri":"/","host":"h","headers":null,"body_bytes":0},"response":{"status":200},"analysis":{"observations":[]}}`
	recs, err := record.ReadRecords(strings.NewReader(good+"\n"+good[:40]), "requests.jsonl")
	require.NoError(t, err)
	assert.Len(t, recs, 1)
	_, err = record.ReadRecords(strings.NewReader(good+"\n{\"seq\":2,\"bogus\":1}\n"), "requests.jsonl")
	assert.ErrorContains(t, err, "requests.jsonl:2: not a record")
	_, err = record.ReadRecords(strings.NewReader(`{"seq":0}`+"\n"), "requests.jsonl")
	assert.ErrorContains(t, err, "requests.jsonl:1: a record without its request number")
}

// FuzzParseRecord: a recording is input from disk; any line parses or
// errors, never panics.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"seq":1,"analysis":{"observations":[{"rule":"style","value":"rpc"}]}}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := record.ParseRecord(line)
		if err == nil && rec.Seq <= 0 {
			t.Fatalf("accepted a record without a request number: %q", line)
		}
		if err == nil {
			_ = record.Build("x", record.Manifest{}, []record.Record{rec})
		}
	})
}

func TestRecordTimestamps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "rec")
	rec, err := record.New(record.Options{Dir: dir, Now: func() time.Time { return now }})
	require.NoError(t, err)
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, ts := range []string{"2026-03-01T12:00:01Z", "2026-03-01T12:00:00.5Z", "2026-03-01T20:00:00+08:00", "2026-03-01T12:00:00", "2026-03-01T11:40:00Z", "yesterday"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/?Action=A&SignatureNonce=n&Timestamp="+strings.ReplaceAll(ts, "+", "%2B"), nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/?Action=A&TimeStamp=2026-03-01T12:00:00Z", nil))
	require.NoError(t, rec.Close())
	m, recs, err := record.Load(dir)
	require.NoError(t, err)
	rep := record.Build(dir, m, recs)
	assertForm(t, rep, record.RuleTimestampForm, map[string]string{
		record.ValueISOZ: record.ClassDocumented, record.ValueISOFraction: record.ClassDeparture, record.ValueISOOffset: record.ClassDeparture,
		record.ValueISONoZone: record.ClassDeparture, record.ValueUnparseable: record.ClassDeparture, record.ValueMisspelt: record.ClassDeparture,
	})
	assertForm(t, rep, record.RuleTimestampSkew, map[string]string{record.ValueInWindow: record.ClassDocumented, record.ValueOutOfWindow: record.ClassDeparture})
	assert.Equal(t, []string{"-1200.0 s"}, forms(t, rep, record.RuleTimestampSkew)[record.ValueOutOfWindow].Details, "the skew, in seconds")
	assertForm(t, rep, record.RuleNonceForm, map[string]string{"other (1 characters)": record.ClassDocumented, record.ValueAbsent: record.ClassDeparture})
}
