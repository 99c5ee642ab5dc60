package signercheck_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
	"github.com/acsharness/acsharness/signercheck"
)

// envSigner makes the test binary a signer speaking the protocol, of the
// kind named by its value (see fakeSigner): the checker runs real child
// processes, not stubs.
const envSigner = "ACSHARNESS_TEST_SIGNER"

func TestMain(m *testing.M) {
	if kind := os.Getenv(envSigner); kind != "" {
		os.Exit(fakeSigner(kind))
	}
	os.Exit(m.Run())
}

// fakeSigner is a signer of one kind: "echo" (the built-in echo signer),
// "reference" (every step, right), "sig-only", "key" (the RPC key without
// its '&'), "star" ('*' left raw in the canonical form), "k=" (ROA empty
// values signed "k="), "v3-error" (refuses V3), and the protocol breakers
// "garbage", "wrong-id", "silent", "die-after-3", "die-at-once" and
// "write-and-exit".
func fakeSigner(kind string) int {
	switch kind {
	case "echo":
		if err := signercheck.Echo(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "die-at-once":
		fmt.Fprintln(os.Stderr, "boom: cannot load my key store")
		return 3
	case "write-and-exit":
		// A command that is no signer: it closes its input unread, writes
		// one line and exits, so that the first request meets a broken
		// pipe or the line, whichever comes first.
		_ = os.Stdin.Close()
		fmt.Println("acsharness dev")
		return 0
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	n := 0
	for in.Scan() {
		n++
		var req corpus.Input
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		s, _ := corpus.Sign(&req)
		reply := map[string]string{"id": req.ID, "canonical": s.Canonical, "string_to_sign": s.StringToSign, "signature": s.Signature}
		if req.Style != signature.RPC {
			reply["authorization"] = s.Authorization
		}
		switch kind {
		case "sig-only":
			reply = map[string]string{"id": req.ID, "signature": s.Signature}
		case "key":
			if req.Style == signature.RPC {
				reply["signature"] = hmacSHA1(req.Secret, s.StringToSign) // docs/protocol.md §1.4 step 4 wants secret + "&"
			}
		case "star":
			if req.Style == signature.RPC {
				reply["canonical"] = strings.ReplaceAll(s.Canonical, "%2A", "*")
				reply["string_to_sign"] = req.Method + "&%2F&" + signature.PercentEncode(reply["canonical"])
				reply["signature"] = hmacSHA1(req.Secret+"&", reply["string_to_sign"])
			}
		case "k=":
			m := req.Message()
			for _, a := range corpus.Alternatives(req.Style, &m, signature.Secret(req.Secret)) {
				if len(a.Forms) == 1 && a.Forms[0].Variant == "k=" {
					reply["canonical"], reply["string_to_sign"], reply["signature"] = a.Artifacts.Canonical, a.Artifacts.StringToSign, a.Artifacts.Signature
					reply["authorization"] = signature.ROAAuthorization(req.AccessKeyID, a.Artifacts.Signature)
				}
			}
		case "env":
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "ALIBABA_CLOUD_") {
					reply = map[string]string{"id": req.ID, "error": "I was handed " + kv}
				}
			}
		case "v3-error":
			if req.Style == signature.V3 {
				reply = map[string]string{"id": req.ID, "error": "V3 is not implemented"}
			}
		case "garbage":
			if n == 2 {
				fmt.Println("Signature: abc=")
				continue
			}
		case "wrong-id":
			reply["id"] = "case-0"
		case "silent":
			time.Sleep(time.Hour)
		case "die-after-3":
			if n == 4 {
				fmt.Fprintln(os.Stderr, "panic: index out of range")
				return 2
			}
		}
		if err := out.Encode(reply); err != nil {
			return 1
		}
	}
	return 0
}

func hmacSHA1(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// self returns the argv and environment that run the test binary as a
// signer of the given kind.
func self(t *testing.T, kind string) ([]string, []string) {
	exe, err := os.Executable()
	require.NoError(t, err)
	return []string{exe}, []string{envSigner + "=" + kind}
}

func check(t *testing.T, kind string, o signercheck.Options) (*signercheck.Result, error) {
	t.Helper()
	o.Command, o.Env = self(t, kind)
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second // generous: the machine is shared
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return signercheck.Check(ctx, o)
}

func TestCheckPasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind     string
		compared []string
	}{
		{"reference", []string{"canonical", "string_to_sign", "signature", "authorization"}},
		{"sig-only", []string{"signature"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			res, err := check(t, tc.kind, signercheck.Options{Cases: 60, Seed: 3, MaxFailures: 5})
			require.NoError(t, err)
			require.Empty(t, res.Failures, "a correct signer passes every case")
			assert.True(t, res.Passed())
			require.Len(t, res.Styles, 3)
			for _, sr := range res.Styles {
				assert.Greater(t, sr.Cases, 60, "%s: the golden vectors and 60 random cases", sr.Style)
				assert.Equal(t, sr.Cases, sr.Passed)
				want := tc.compared
				if sr.Style == signature.RPC {
					want = strings.Fields(strings.Replace(strings.Join(want, " "), "authorization", "", 1))
				}
				assert.Equal(t, want, sr.Compared, "%s: the steps compared are those the signer returned", sr.Style)
				assert.Empty(t, sr.Variants, "the reference signs every case in the reference form")
			}
			assert.Nil(t, res.Throughput, "no measurement asked")
		})
	}
}

// The broken signers are caught at the step their bug lives in, with both
// values and the first differing byte.
func TestCheckNamesTheStep(t *testing.T) {
	t.Parallel()
	t.Run("key derivation", func(t *testing.T) {
		t.Parallel()
		res, err := check(t, "key", signercheck.Options{Cases: 20, Seed: 1, MaxFailures: 3, Styles: []signature.Style{signature.RPC}})
		require.NoError(t, err)
		require.Len(t, res.Failures, 3, "it stops after --max-failures")
		assert.True(t, res.Stopped)
		for _, f := range res.Failures {
			assert.Equal(t, signercheck.StepSignature, f.Step, "a wrong key breaks the signature, not the string to sign")
			assert.Equal(t, []string{"canonical", "string_to_sign"}, f.Matched, "the steps before the key are right")
			require.NotNil(t, f.Mismatch)
			assert.Equal(t, f.Ours, f.Mismatch.Ours)
			assert.NotEqual(t, f.Ours, f.Theirs)
			assert.True(t, strings.HasPrefix(f.Request, "GET /?") || strings.HasPrefix(f.Request, "POST /"), f.Request)
		}
	})
	t.Run("star", func(t *testing.T) {
		t.Parallel()
		res, err := check(t, "star", signercheck.Options{Cases: 200, Seed: 1, MaxFailures: 1, Styles: []signature.Style{signature.RPC}})
		require.NoError(t, err)
		require.Len(t, res.Failures, 1)
		f := res.Failures[0]
		assert.Equal(t, signercheck.StepCanonical, f.Step, "a raw '*' shows in the canonical form first")
		assert.Empty(t, f.Matched)
		require.NotNil(t, f.Mismatch)
		assert.Equal(t, "%2A", f.Ours[f.Mismatch.At:f.Mismatch.At+3], "ours has %%2A where the signer departs")
		assert.Equal(t, byte('*'), f.Theirs[f.Mismatch.At], "theirs has a raw '*' there")
		assert.Equal(t, f.Ours[:f.Mismatch.At], f.Theirs[:f.Mismatch.At], "both agree up to the first differing byte")
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		res, err := check(t, "v3-error", signercheck.Options{Cases: 2, Seed: 1, MaxFailures: 100})
		require.NoError(t, err)
		require.NotEmpty(t, res.Failures)
		for _, f := range res.Failures {
			assert.Equal(t, signature.V3, f.Style)
			assert.Equal(t, signercheck.StepError, f.Step)
			assert.Equal(t, "V3 is not implemented", f.Error)
		}
		assert.False(t, res.Stopped)
	})
}

// A signer that signs ROA empty values "k=", as the official TypeScript
// and Python clients do (docs/protocol.md §2.2, §9 F8), passes in that accepted
// variant, named with those clients.
func TestCheckAcceptsVariant(t *testing.T) {
	t.Parallel()
	res, err := check(t, "k=", signercheck.Options{Cases: 200, Seed: 5, MaxFailures: 1, Styles: []signature.Style{signature.ROA}})
	require.NoError(t, err)
	require.Empty(t, res.Failures)
	require.Len(t, res.Styles, 1)
	require.Len(t, res.Styles[0].Variants, 1, "one variant used")
	v := res.Styles[0].Variants[0]
	require.Len(t, v.Forms, 1)
	assert.Equal(t, signature.AspectROAEmptyValue, v.Forms[0].Aspect)
	assert.Contains(t, v.Forms[0].Clients, signature.ClientOpenAPIUtilTS)
	assert.Positive(t, v.Cases)
	assert.Less(t, v.Cases, res.Styles[0].Cases, "cases without an empty value pass in the reference form")
}

func TestCheckProtocolErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind, line, reason string
		start              bool
	}{
		{kind: "garbage", line: `"Signature: abc="`, reason: "not a JSON object"},
		{kind: "wrong-id", reason: `the reply's id is "case-0"`},
		{kind: "silent", reason: "no reply within"},
		{kind: "die-after-3", reason: "after 3 replies"},
		{kind: "die-at-once", reason: "exit status 3", start: true},
		{kind: "write-and-exit", line: "acsharness dev", reason: "not a JSON object"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			res, err := check(t, tc.kind, signercheck.Options{Cases: 5, Seed: 1, Timeout: 2 * time.Second})
			if tc.kind == "write-and-exit" {
				// Whichever of the broken pipe and the line comes first, the
				// line is what is reported: this ran flaky as a start error.
				for range 5 {
					var pe *signercheck.ProtocolError
					_, err := check(t, tc.kind, signercheck.Options{Cases: 1, Seed: 1, Timeout: 2 * time.Second})
					require.ErrorAs(t, err, &pe, "%v", err)
					assert.Contains(t, pe.Line, tc.line)
				}
			}
			require.Error(t, err)
			if tc.start {
				var se *signercheck.StartError
				require.ErrorAs(t, err, &se, "a signer that dies before its first answer cannot start")
				assert.Contains(t, se.Error(), tc.reason)
				assert.Contains(t, se.Stderr, "boom: cannot load my key store", "its standard error is quoted")
				return
			}
			var pe *signercheck.ProtocolError
			require.ErrorAs(t, err, &pe, "%v", err)
			assert.Contains(t, pe.Reason, tc.reason)
			assert.Contains(t, pe.Line, tc.line, "the line that broke it is quoted")
			assert.NotEmpty(t, pe.CaseID)
			require.NotNil(t, res)
			if tc.kind == "die-after-3" {
				assert.Contains(t, pe.Stderr, "panic: index out of range")
			}
		})
	}
	t.Run("no such command", func(t *testing.T) {
		t.Parallel()
		_, err := signercheck.Check(context.Background(), signercheck.Options{Command: []string{"/nonexistent/signer"}, Cases: 1})
		var se *signercheck.StartError
		require.ErrorAs(t, err, &se)
		assert.Contains(t, se.Error(), "/nonexistent/signer")
	})
}

// The throughput of a signer is measured beside the echo signer's and the
// reference signer's, on the same cases.
func TestCheckMeasures(t *testing.T) {
	t.Parallel()
	echo, echoEnv := self(t, "echo")
	res, err := check(t, "reference", signercheck.Options{Cases: 10, Seed: 1, BenchCalls: 300, Warmup: 20, BenchTime: time.Minute, Echo: echo, EchoEnv: echoEnv})
	require.NoError(t, err)
	require.NotNil(t, res.Throughput)
	require.NotNil(t, res.Throughput.Echo)
	for _, f := range []signercheck.Figure{res.Throughput.Signer, *res.Throughput.Echo, res.Throughput.Reference} {
		assert.Equal(t, 300, f.Calls, "%s: every call timed (the time bound is far)", f.Name)
		assert.Positive(t, f.PerSecond, f.Name)
		assert.Positive(t, f.P50US, f.Name)
		assert.LessOrEqual(t, f.P50US, f.P99US, f.Name)
		assert.LessOrEqual(t, f.P99US, f.MaxUS, f.Name)
	}
	assert.Equal(t, signercheck.FigureEcho, res.Throughput.Echo.Name)

	// An echo command that cannot start is reported as such.
	_, err = check(t, "reference", signercheck.Options{Cases: 1, BenchCalls: 10, Echo: []string{"/nonexistent/echo"}})
	var se *signercheck.StartError
	require.True(t, errors.As(err, &se), "%v", err)
}

// The signer never receives the user's credentials: the variables that
// carry them are left out of its environment.
func TestCheckHidesCredentials(t *testing.T) {
	t.Setenv(signature.EnvAccessKeySecret, "users-own-secret")
	t.Setenv(signature.EnvSecurityToken, "users-own-token")
	res, err := check(t, "env", signercheck.Options{Cases: 1, Seed: 1, MaxFailures: 100, Styles: []signature.Style{signature.RPC}})
	require.NoError(t, err)
	assert.Empty(t, res.Failures, "the signer saw no ALIBABA_CLOUD_ variable")

	env := signercheck.ChildEnv([]string{"PATH=/bin", "ALIBABA_CLOUD_ACCESS_KEY_ID=id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=s", "MY_API_TOKEN=t",
		"DB_PASSWORD=p", "ACSHARNESS_SECOND_ACCESS_KEY_SECRET=s2", "HOME=/home/x", "LANG=C"}, []string{"EXTRA=1"})
	assert.Equal(t, []string{"PATH=/bin", "HOME=/home/x", "LANG=C", "EXTRA=1"}, env)
}

func TestParseReply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line, err string
	}{
		{`{"id":"a","signature":"x"}`, ""},
		{`{"id":"a","signature":""}`, ""},
		{`{"id":"a","error":"cannot"}`, ""},
		{`{"id":"a","signature":"x","debug":{"any":1}}` + "\r\n", ""},
		{``, "an empty line"},
		{`{"id":"a"}`, `no "signature"`},
		{`{"signature":"x"}`, `no "id"`},
		{`{"id":"a","signature":1}`, "not a JSON object with string fields"},
		{`["a"]`, "not a JSON object"},
		{`{"id":"a","signature":"x"} {}`, "more than one JSON value"},
		{"{\"id\":\"a\",\"signature\":\"\xff\"}", "not UTF-8"},
	} {
		_, err := signercheck.ParseReply([]byte(tc.line))
		if tc.err == "" {
			assert.NoError(t, err, tc.line)
		} else {
			assert.ErrorContains(t, err, tc.err, tc.line)
		}
	}
}

// FuzzParseReply feeds the parser of a signer's output, which is untrusted,
// arbitrary lines: it returns a reply or an error, never panics, and a
// reply it accepts always has an id and a signature or an error.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{`{"id":"a","signature":"x"}`, `{"id":"a","error":"e"}`, `{}`, `null`, `{"id":"a","signature":null}`, "\xff", `{"id":"\u0000","signature":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := signercheck.ParseReply(line)
		if err == nil && (r.ID == "" || r.Signature == nil && r.Error == "") {
			t.Fatalf("accepted %q without an id and a signature or an error", line)
		}
	})
}
