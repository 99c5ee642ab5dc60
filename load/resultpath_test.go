package load

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/internal/race"
	"github.com/acsharness/acsharness/signature"
)

// redactorCreds carry a security token, which is redacted too.
var redactorCreds = signature.Credentials{AccessKeyID: "LTAI5tRedactorKeyId", AccessKeySecret: "redactor-secret",
	SecurityToken: "CAIS-sts-token-value"}

// withTimestamp is u with its Timestamp value replaced (encoded as on the
// wire), as a request signed in another second would carry.
func withTimestamp(t *testing.T, u, ts string) string {
	t.Helper()
	old, ok := queryValue(u, signature.ParamTimestamp)
	require.True(t, ok, "the URL carries a Timestamp: %s", u)
	return strings.Replace(u, "Timestamp="+old, "Timestamp="+url.QueryEscape(ts), 1)
}

// The template's redaction of an RPC URL is exactly what parsing the URL
// and redacting each secret parameter gives, second after second, for
// values that need encoding and for both methods.
func TestRPCRedactorMatchesRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		params signature.Params
		creds  signature.Credentials
	}{
		{"get", http.MethodGet, signature.Params{{Key: "InstanceId", Value: "mqtt-1"}}, redactorCreds},
		{"post", http.MethodPost, signature.Params{{Key: "InstanceId", Value: "mqtt-1"}}, redactorCreds},
		{"no token", http.MethodGet, signature.Params{{Key: "InstanceId", Value: "mqtt-1"}}, benchCreds},
		{"encoded values", http.MethodGet, signature.Params{{Key: "Payload", Value: "a b&c=d+e/f 世 ~*'"},
			{Key: "Topic", Value: "devices/%41/#"}, {Key: "Empty", Value: ""}, {Key: "Timestamps", Value: "Timestamp=x"}}, redactorCreds},
		{"lowercase after", http.MethodGet, signature.Params{{Key: "zone", Value: "cn"}, {Key: "aaa", Value: "1"}}, redactorCreds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			it, err := NewActionItem("A", 1, "http://127.0.0.1:8080", ActionSpec{Style: signature.RPC, Method: tc.method,
				Action: "SendMessage", Version: "2020-04-20", Params: tc.params, Host: "onsmqtt.cn-hangzhou.aliyuncs.com"},
				tc.creds, signature.NewNonceSource())
			require.NoError(t, err)
			require.NotNil(t, it.redactor)
			redact := it.redactor()
			var tgt vegeta.Target
			for i, ts := range []string{"", "", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", "2026-01-02T03:04:06Z", ""} {
				require.NoError(t, it.next(&tgt))
				u := tgt.URL
				if ts != "" {
					u = withTimestamp(t, u, ts)
				}
				got, want := redact(u), redactURL(u)
				assert.Equal(t, want, got, "request %d", i)
				for _, k := range secretParams {
					if v, ok := queryValue(u, k); ok {
						assert.NotContains(t, got, k+"="+v, "%s is redacted", k)
					}
				}
			}
			other := "http://127.0.0.1:8080/?Action=Other&Signature=abc"
			assert.Equal(t, redactURL(other), redact(other), "a URL without the Timestamp is parsed and redacted")
		})
	}
}

func TestQueryValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, want string
		ok        bool
	}{
		{"http://h/?Timestamp=1&b=2", "1", true},
		{"http://h/?a=1&Timestamp=2", "2", true},
		{"http://h/?a=1&Timestamp=2#3", "2", true},
		{"http://h/?XTimestamp=1&Timestamp=2", "2", true},
		{"http://h/?a=Timestamp&Timestamp=", "", true},
		{"http://h/?Timestamps=1", "", false},
		{"http://h/Timestamp=1", "", false},
		{"http://h/?a=1&Timestamp", "", false},
	} {
		got, ok := queryValue(tc.url, "Timestamp")
		assert.Equal(t, tc.ok, ok, tc.url)
		assert.Equal(t, tc.want, got, tc.url)
	}
}

// benchResult is a result as vegeta hands it to the results goroutine: a
// signed request of it answered by the minimal server.
func benchResult(t testing.TB, it *Item) vegeta.Result {
	t.Helper()
	var tgt vegeta.Target
	require.NoError(t, it.next(&tgt))
	return vegeta.Result{Attack: "rpc SendMessage", Seq: 7, Code: 200, Timestamp: time.Now(), Latency: time.Millisecond,
		BytesIn: uint64(len(minimalBody)), Body: append([]byte(nil), minimalBody...), Method: tgt.Method, URL: tgt.URL,
		Headers: http.Header{"Content-Type": {"application/json"}, "Date": {"Mon, 02 Jan 2026 03:04:05 GMT"}, "Content-Length": {"21"}}}
}

// testResultPath is the result path of a max-rate run of items, writing
// results to w (nil: none), with metrics.
func testResultPath(t testing.TB, w io.Writer, items ...*Item) *resultPath {
	t.Helper()
	metrics, err := NewMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	o := Options{Items: items, Schedule: Constant{0}, Metrics: metrics, LateAfter: 10 * time.Millisecond}
	var enc vegeta.Encoder
	if w != nil {
		enc = vegeta.NewEncoder(w)
	}
	start := time.Now()
	return newResultPath(o, newMix(items), newCollector(start, o.Schedule, o.LateAfter, nil), start, true, enc)
}

// Each style's results reach results.bin redacted, without body or
// headers, and `vegeta report` reads them.
func TestResultPathWritesRedacted(t *testing.T) {
	t.Parallel()
	var items []*Item
	for _, style := range signature.Styles {
		spec := loadBenchSpec()
		spec.Style = style
		if style != signature.RPC {
			spec.Method, spec.Path = http.MethodPost, "/mqtt/send"
		}
		it, err := NewActionItem(string(style), 1, "http://127.0.0.1:8080", spec, redactorCreds, signature.NewNonceSource())
		require.NoError(t, err)
		items = append(items, it)
	}
	var buf bytes.Buffer
	p := testResultPath(t, &buf, items...)
	var sent []vegeta.Result
	for i, it := range items {
		res := benchResult(t, it)
		res.URL += mixTags(len(items))[i]
		if i == 0 {
			res.Code, res.Error = 0, `Get "`+res.URL+`": EOF`
		}
		sent = append(sent, res)
		r := res
		p.handle(&r)
	}
	require.NoError(t, p.encErr)
	got := decodeResults(t, buf.Bytes())
	require.Len(t, got, len(items), "vegeta's decoder reads every result")
	for i, r := range got {
		for _, field := range []string{r.URL, r.Error} {
			for _, s := range []string{redactorCreds.AccessKeyID, string(redactorCreds.SecurityToken)} {
				assert.NotContains(t, field, s, "result %d", i)
			}
		}
		assert.NotContains(t, r.URL, "#", "the item's tag is not part of the URL written")
		if v, ok := queryValue(sent[i].URL, signature.ParamSignatureNonce); ok {
			assert.NotContains(t, r.URL, v, "the nonce is redacted")
		}
		assert.Nil(t, r.Body, "bodies are dropped: an echoed string to sign carries the key ID and nonce")
		assert.Nil(t, r.Headers, "no report reads the response headers")
		assert.Equal(t, sent[i].Code, r.Code)
		assert.Equal(t, sent[i].Seq, r.Seq)
		assert.Equal(t, sent[i].BytesIn, r.BytesIn, "sizes stay")
	}
	assert.Contains(t, got[0].URL, "Signature=redacted")
	assert.Contains(t, got[0].Error, "Signature=redacted", "the error's URL is redacted too")
	assert.Contains(t, got[0].URL, "Timestamp=", "what is not secret stays")

	var m vegeta.Metrics
	for i := range got {
		m.Add(&got[i])
	}
	m.Close()
	var report bytes.Buffer
	require.NoError(t, vegeta.NewTextReporter(&m).Report(&report))
	assert.Regexp(t, `Requests\s+\[total, rate, throughput\]\s+3,`, report.String(), "vegeta report reads results.bin")
	assert.Regexp(t, `Status Codes\s+\[code:count\]\s+0:1\s+200:2`, report.String(), "vegeta report counts the codes")
}

// A string cut from the arena keeps its bytes while the arena goes on
// writing, from many goroutines at once.
func TestStringArena(t *testing.T) {
	t.Parallel()
	var a stringArena
	assert.Equal(t, "", a.String(nil))
	long := bytes.Repeat([]byte("x"), arenaChunkSize)
	assert.Equal(t, string(long), a.String(long), "longer than a chunk's eighth: a string of its own")
	var wg sync.WaitGroup
	got := make([][]string, 8)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 64)
			for i := range 2000 {
				buf = append(buf[:0], "http://h/?n="...)
				buf = append(buf, byte('a'+g), byte('0'+i%10), byte('0'+i/10%10), byte('0'+i/100%10))
				got[g] = append(got[g], a.String(buf))
				buf[len(buf)-1] = '!' // the string is a copy
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i, s := range got[g] {
			want := "http://h/?n=" + string([]byte{byte('a' + g), byte('0' + i%10), byte('0' + i/10%10), byte('0' + i/100%10)})
			if s != want {
				t.Fatalf("goroutine %d string %d: %q, want %q", g, i, s, want)
			}
		}
	}
}

// The allocation budgets of the generator's per-request work beyond
// vegeta's own. They count allocations, never time (the speed goals live
// in BenchmarkOverhead and the README); run without -race, since under it
// pooled memory is dropped at random.
func TestTargeterAllocations(t *testing.T) {
	race.Skip(t, "sync.Pool drops pooled memory at random")
	for _, tc := range []struct {
		style signature.Style
		// budget is the allocations of one signed request: 0 for RPC (its
		// URL comes out of the arena); ROA and V3 build a fresh header map
		// (vegeta copies it into the request, value by value), whose
		// tables take 4 allocations for ROA's 10 headers and 2 for V3's 8,
		// and one array of the three values that change; V3's signer lets
		// its nonce buffer escape.
		budget float64
	}{{signature.RPC, 0}, {signature.ROA, 5}, {signature.V3, 4}} {
		t.Run(string(tc.style), func(t *testing.T) {
			spec := loadBenchSpec()
			spec.Style = tc.style
			if tc.style != signature.RPC {
				spec.Method, spec.Path = http.MethodPost, "/mqtt/send"
			}
			item := func() *Item {
				it, err := NewActionItem("A", 1, "http://127.0.0.1:8080", spec, benchCreds, signature.NewNonceSource())
				require.NoError(t, err)
				return it
			}
			for _, items := range [][]*Item{{item()}, {item(), item()}} {
				tr := newMix(items).targeter(newSignRecorder(), nil, maxSampleEvery)
				var tgt vegeta.Target
				for range 100 { // warm: the pooled signer states, the arena
					require.NoError(t, tr(&tgt))
				}
				allocs := testing.AllocsPerRun(2000, func() { _ = tr(&tgt) })
				assert.LessOrEqual(t, allocs, tc.budget, "allocations per signed request, %d items", len(items))
			}
		})
	}
}

func TestResultPathAllocations(t *testing.T) {
	race.Skip(t, "allocation counts are not the program's")
	it := perfItem(t, "http://127.0.0.1:8080")
	src := benchResult(t, it)
	var res vegeta.Result
	run := func(p *resultPath) func() {
		return func() {
			res = src
			res.Seq++
			p.handle(&res)
		}
	}
	p := testResultPath(t, nil, it)
	run(p)()
	assert.Zero(t, testing.AllocsPerRun(2000, run(p)), "judge, summary, metrics and redaction allocate nothing")

	// With results written: no more than vegeta's encoder alone on the
	// same results (it writes their bodies and headers too).
	ours := testResultPath(t, bufio.NewWriterSize(io.Discard, 64<<10), it)
	run(ours)()
	enc := vegeta.NewEncoder(io.Discard)
	vegetaOwn := func() {
		res = src
		_ = enc.Encode(&res)
	}
	vegetaOwn()
	assert.LessOrEqual(t, testing.AllocsPerRun(2000, run(ours)), testing.AllocsPerRun(2000, vegetaOwn),
		"our result path, results.bin included, allocates no more than vegeta's writing of the result")
}

// BenchmarkOverhead is the generator's per-request work beyond vegeta's
// own static attack, side by side with vegeta's, on one goroutine:
//
//   - targeter: ours picks the item, signs afresh and builds the URL (and
//     samples the signing time); vegeta's static targeter copies one
//     pre-built target. Both then pay the same request building.
//   - results: ours tells the item, judges the answer, folds it into the
//     summary (three HDR histograms, the time series) and the Prometheus
//     metrics, redacts it and encodes it into results.bin's buffer;
//     vegeta's `attack -output` encodes it (body and headers too) and
//     writes it to the file, here to io.Discard: the system call a real
//     file costs it is not counted.
//
// The README's budget is ours minus vegeta's.
func BenchmarkOverhead(b *testing.B) {
	it := perfItem(b, "http://127.0.0.1:8080")
	var static vegeta.Target
	require.NoError(b, it.next(&static))
	b.Run("targeter/signed", func(b *testing.B) {
		tr := newMix([]*Item{it}).targeter(newSignRecorder(), nil, maxSampleEvery)
		var t vegeta.Target
		b.ReportAllocs()
		for b.Loop() {
			_ = tr(&t)
		}
	})
	b.Run("targeter/static", func(b *testing.B) {
		tr := vegeta.NewStaticTargeter(static)
		var t vegeta.Target
		b.ReportAllocs()
		for b.Loop() {
			_ = tr(&t)
		}
	})
	src := benchResult(b, it)
	var res vegeta.Result
	b.Run("results/signed", func(b *testing.B) {
		p := testResultPath(b, bufio.NewWriterSize(io.Discard, 64<<10), it)
		b.ReportAllocs()
		for b.Loop() {
			res = src
			p.handle(&res)
		}
	})
	b.Run("results/static", func(b *testing.B) {
		enc := vegeta.NewEncoder(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			res = src
			_ = enc.Encode(&res)
		}
	})
}
