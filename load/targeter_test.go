package load

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/acsharness/acsharness/signature"
)

func TestErrorCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"json", `{"RequestId":"r1","Message":"Specified signature is not matched with our calculation.","Recommend":"x","HostId":"h","Code":"SignatureDoesNotMatch"}`, "SignatureDoesNotMatch"},
		{"json first", `{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}`, "Throttling.User"},
		{"json dotted", `{"Code":"InvalidAccessKeyId.NotFound"}`, "InvalidAccessKeyId.NotFound"},
		{"json escaped quote in message", `{"Message":"no \"Code\":\"Fake\" here","Code":"IncompleteSignature"}`, "IncompleteSignature"},
		{"xml", `<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>r1</RequestId><HostId>h</HostId><Code>SignatureNonceUsed</Code><Message>Specified signature nonce was used already.</Message></Error>`, "SignatureNonceUsed"},
		{"xml unterminated", `<Error><Code>SignatureNonceUsed`, ""},
		{"json unterminated", `{"Code":"Signature`, ""},
		{"success json", `{"RequestId":"r1","Data":{"GroupIdList":[]}}`, ""},
		{"success xml", `<ListGroupIdResponse><RequestId>r1</RequestId></ListGroupIdResponse>`, ""},
		{"empty", ``, ""},
		{"empty code", `{"Code":""}`, ""},
		{"url as code", `{"Code":"http://127.0.0.1/?Signature=abc&AccessKeyId=testid"}`, "malformed"},
		{"huge code", `{"Code":"` + strings.Repeat("A", 65) + `"}`, "malformed"},
		{"xml markup in code", `<Error><Code>Bad <b>code</b></Code></Error>`, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, errorCode([]byte(tc.body)))
		})
	}
}

func TestJudgeStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		ok     bool
		code   string
	}{
		{200, `{"RequestId":"r"}`, true, ""},
		{204, ``, true, ""},
		{200, `{"Code":"InternalError"}`, false, "InternalError"},
		{400, `{"Code":"SignatureDoesNotMatch"}`, false, "SignatureDoesNotMatch"},
		{302, ``, false, ""},
		{0, ``, false, ""},
	} {
		ok, code := judgeStatus(tc.status, nil, []byte(tc.body))
		assert.Equal(t, tc.ok, ok, "status %d body %s", tc.status, tc.body)
		assert.Equal(t, tc.code, code)
	}
}

// fakeItem is an item that only names itself in its URL.
func fakeItem(name string, weight int) *Item {
	return &Item{Name: name, Weight: weight,
		next: func(t *vegeta.Target) error {
			t.Method, t.URL = http.MethodGet, "http://127.0.0.1/"+name
			return nil
		}, judge: judgeStatus}
}

func TestMixIsSmoothAndWeighted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		weights []int
		order   []int // one cycle
		maxRun  int   // longest run of one item, cycles joined
	}{
		{"3:1", []int{3, 1}, []int{0, 0, 1, 0}, 3},
		{"1:1", []int{1, 1}, []int{0, 1}, 1},
		{"2:1", []int{2, 1}, []int{0, 1, 0}, 2},
		{"5:1:1", []int{5, 1, 1}, []int{0, 0, 1, 0, 2, 0, 0}, 4},
		{"alone", []int{4}, []int{0, 0, 0, 0}, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var items []*Item
			total := 0
			for i, w := range tc.weights {
				items = append(items, fakeItem("item"+strconv.Itoa(i), w))
				total += w
			}
			m := newMix(items)
			assert.Equal(t, tc.order, m.order)
			tr := m.targeter(newSignRecorder(), nil, 1)
			cycles := 100
			counts := make([]int, len(items))
			prev, run, longest := -1, 0, 0
			for range cycles * total {
				var tgt vegeta.Target
				require.NoError(t, tr(&tgt))
				idx, clean := splitFragment(tgt.URL)
				require.Equal(t, "http://127.0.0.1/item"+strconv.Itoa(idx), clean, "the fragment names the item signed")
				counts[idx]++
				if idx == prev {
					run++
				} else {
					prev, run = idx, 1
				}
				longest = max(longest, run)
			}
			for i, w := range tc.weights {
				assert.Equal(t, cycles*w, counts[i], "item %d gets its weight's share", i)
			}
			if len(items) > 1 {
				assert.LessOrEqual(t, longest, tc.maxRun, "interleaved, never in long runs")
			}
		})
	}
}

func TestSplitFragment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		idx   int
		clean string
	}{
		{"http://h/?a=1#2", 2, "http://h/?a=1"},
		{"http://h/?a=1", 0, "http://h/?a=1"},
		{"http://h/#frag", 0, "http://h/#frag"},
		{"", 0, ""},
	} {
		idx, clean := splitFragment(tc.in)
		assert.Equal(t, tc.idx, idx, tc.in)
		assert.Equal(t, tc.clean, clean, tc.in)
	}
}

// signedRPCURL signs a real RPC request, with a security token, and returns
// its URL and the secret values it carries.
func signedRPCURL(t *testing.T) (raw string, secrets []string) {
	t.Helper()
	nonces := signature.NewNonceSource()
	it, err := NewActionItem("ListGroupId", 1, "http://127.0.0.1:8080", ActionSpec{Style: signature.RPC, Method: "GET",
		Action: "ListGroupId", Version: "2020-04-20", Params: signature.Params{{Key: "InstanceId", Value: "mqtt-1"}}},
		signature.Credentials{AccessKeyID: "LTAI5tSecretKeyId", AccessKeySecret: "testsecret"}, nonces)
	require.NoError(t, err)
	var tgt vegeta.Target
	err = it.next(&tgt)
	require.NoError(t, err)
	raw = tgt.URL + "&SecurityToken=CAIS-sts-token-value"
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	for _, k := range []string{"Signature", "SignatureNonce", "AccessKeyId", "SecurityToken"} {
		require.NotEmpty(t, q.Get(k), "the signed URL carries %s", k)
		secrets = append(secrets, q.Get(k), url.QueryEscape(q.Get(k)))
	}
	return raw, secrets
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	raw, secrets := signedRPCURL(t)
	got := redactURL(raw)
	for _, s := range secrets {
		assert.NotContains(t, got, s)
	}
	u, err := url.Parse(got)
	require.NoError(t, err)
	q := u.Query()
	for _, k := range []string{"Signature", "SignatureNonce", "AccessKeyId", "SecurityToken"} {
		assert.Equal(t, "redacted", q.Get(k), "%s is kept as a name, without its value", k)
	}
	assert.Equal(t, "ListGroupId", q.Get("Action"), "the rest of the query stays, for reading")
	assert.Equal(t, "mqtt-1", q.Get("InstanceId"))
	assert.Equal(t, "127.0.0.1:8080", u.Host)

	assert.Equal(t, "http://127.0.0.1:8080/groups", redactURL("http://127.0.0.1:8080/groups"), "no query, nothing to redact")
	assert.Equal(t, "[unparseable URL]", redactURL("http://[::1/?Signature=abc"))
	bad := redactURL("http://h/?Signature=abc%zz&AccessKeyId=testid")
	assert.NotContains(t, bad, "abc")
	assert.NotContains(t, bad, "testid")
}

func TestRedactError(t *testing.T) {
	t.Parallel()
	raw, secrets := signedRPCURL(t)
	for _, e := range []string{
		`Get "` + raw + `": dial tcp 127.0.0.1:8080: connect: connection refused`,
		`Post "` + raw + `#0": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
		`Get "` + raw + `": EOF; retry of Get "` + raw + `": EOF`,
	} {
		got := redactError(e)
		for _, s := range secrets {
			assert.NotContains(t, got, s)
		}
		assert.Contains(t, got, "Signature=redacted")
		assert.Contains(t, got, "127.0.0.1:8080", "the error still says where")
	}
	assert.Equal(t, "", redactError(""))
	assert.Equal(t, "400 Bad Request", redactError("400 Bad Request"))
}

// Every signature is timed up to 1000/s; above, about 1000 a second, so
// the clock's system call stays off the hot path.
func TestSampleEvery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		peak float64
		want uint64
	}{{50, 1}, {1000, 1}, {1001, 2}, {3000, 4}, {40000, 64}, {1e6, 64}, {0, 64}} {
		assert.Equal(t, tc.want, sampleEvery(tc.peak), "at %g/s", tc.peak)
	}
	assert.InDelta(t, 5000, peakRate(Ramp{From: 100, To: 5000, Over: time.Minute}, time.Minute), 0)
	assert.InDelta(t, 2000, peakRate(Steps{{1000, time.Second}, {2000, time.Second}, {500, time.Second}}, 3*time.Second), 0)
}
