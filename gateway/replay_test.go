package gateway_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// Replay protection (docs/protocol.md §4.1, §4.2 steps 7 and 9): a SignatureNonce
// is good for one request, network-wide, whatever the key. Requests are
// hand-signed with our signature.Builder so that the very same signed
// bytes can be sent again, and raced.

// replayCase is one request shape whose nonce is replayed.
type replayCase struct {
	name string
	req  func(endpoint string) signature.Request
	// hostID is the HostId the error envelope must carry.
	hostID string
	xml    bool
}

// replayCases cover every style and the two ways of routing.
var replayCases = []replayCase{
	{name: "rpc-get", hostID: "127.0.0.1", req: func(ep string) signature.Request {
		return signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: ep, Action: "ListInstances",
			Version: rabbitVersion, Format: "JSON", Query: signature.Params{{Key: "MaxResults", Value: "1"}}}
	}},
	{name: "rpc-post-form-by-host", hostID: mqttHost, req: func(ep string) signature.Request {
		return signature.Request{Style: signature.RPC, Method: http.MethodPost, Endpoint: ep, Host: mqttHost, Action: "SendMessage",
			Version: mqttVersion, Format: "JSON", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-replay"}},
			Form: signature.Params{{Key: "MqttTopic", Value: "t/a"}, {Key: "Payload", Value: "hello 世界 a+b*c~"}}}
	}},
	{name: "rpc-xml", hostID: "127.0.0.1", xml: true, req: func(ep string) signature.Request {
		return signature.Request{Style: signature.RPC, Method: http.MethodGet, Endpoint: ep, Action: "ListGroupId",
			Version: mqttVersion, Format: "XML", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-replay"}}}
	}},
	{name: "roa-appenv", hostID: "127.0.0.1", req: func(ep string) signature.Request {
		return signature.Request{Style: signature.ROA, Method: http.MethodGet, Endpoint: ep, Path: "/pop/v1/wam/appEnv",
			Version: anyVersion, Format: "JSON", Query: signature.Params{{Key: "appName", Value: "my app"}, {Key: "env", Value: ""}}}
	}},
	{name: "roa-groups-by-host", hostID: mqttHost, req: func(ep string) signature.Request {
		return signature.Request{Style: signature.ROA, Method: http.MethodGet, Endpoint: ep, Host: mqttHost, Path: "/groups",
			Version: mqttVersion, Format: "JSON", Query: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-replay"}}}
	}},
	{name: "v3-rpc-form", hostID: "127.0.0.1", req: func(ep string) signature.Request {
		return signature.Request{Style: signature.V3, Method: http.MethodPost, Endpoint: ep, Path: "/", Action: "SendMessage",
			Version: mqttVersion, Format: "JSON",
			Form: signature.Params{{Key: "InstanceId", Value: "mqtt-cn-replay"}, {Key: "MqttTopic", Value: "t/a"}, {Key: "Payload", Value: "hello 世界"}}}
	}},
	{name: "v3-roa-by-host", hostID: rabbitHost, req: func(ep string) signature.Request {
		return signature.Request{Style: signature.V3, Method: http.MethodGet, Endpoint: ep, Host: rabbitHost,
			Path: "/instances/amqp-cn-replay/vhosts", Action: "ListVirtualHosts", Version: rabbitVersion, Format: "JSON"}
	}},
}

// secondKey is an extra active key, to show the nonce store is not per key.
var secondKey = gateway.Key{ID: "secondid", Secret: "secondsecret", Status: gateway.KeyActive}

func twoKeyConfig() gateway.Config {
	return gateway.Config{Keys: append(gateway.DemoKeys(), secondKey)}
}

// replaySigner signs with the key and, when nonce is not "", always that nonce.
func replaySigner(id string, secret signature.Secret, nonce string) *signature.Builder {
	b := &signature.Builder{Credentials: signature.Credentials{AccessKeyID: id, AccessKeySecret: secret}}
	if nonce != "" {
		b.Nonce = func() string { return nonce }
	}
	return b
}

// newHTTPClient is a client of its own, with no proxy, a connection per
// racing request and a bounded time.
func newHTTPClient(t *testing.T) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: sdkTimeout}
}

// signedReply is a gateway answer: status, headers and the error envelope, if
// the body holds one.
type signedReply struct {
	status int
	header http.Header
	body   []byte
	env    struct {
		XMLName   xml.Name
		RequestId string //nolint:revive // the wire name
		Message   string
		Recommend string
		HostId    string //nolint:revive
		Code      string
	}
}

// sendSigned signs nothing: it sends s as it stands and reads the answer.
func sendSigned(ctx context.Context, hc *http.Client, s *signature.Signed) (signedReply, error) {
	var rp signedReply
	r, err := s.HTTPRequest(ctx)
	if err != nil {
		return rp, err
	}
	resp, err := hc.Do(r)
	if err != nil {
		return rp, err
	}
	defer resp.Body.Close()
	rp.status, rp.header = resp.StatusCode, resp.Header
	if rp.body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return rp, err
	}
	if rp.status != http.StatusOK {
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
			err = xml.Unmarshal(rp.body, &rp.env)
		} else {
			err = json.Unmarshal(rp.body, &rp.env)
		}
		if err != nil {
			return rp, fmt.Errorf("error body is not an envelope: %v: %s", err, rp.body)
		}
	}
	return rp, nil
}

func mustSendSigned(ctx context.Context, t *testing.T, hc *http.Client, s *signature.Signed) signedReply {
	t.Helper()
	rp, err := sendSigned(ctx, hc, s)
	require.NoError(t, err, "the request must reach the gateway and be answered")
	return rp
}

func replayCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertNonceUsed checks a SignatureNonceUsed answer and its envelope
// (docs/protocol.md §4 row "Nonce replay", §5).
func assertNonceUsed(t *testing.T, rp signedReply, tc replayCase) {
	t.Helper()
	require.Equal(t, http.StatusBadRequest, rp.status, "a replayed nonce is answered 400; body %s", rp.body)
	assert.Equal(t, gateway.CodeNonceUsed, rp.env.Code, "a replayed nonce is SignatureNonceUsed")
	assert.Equal(t, "Specified signature nonce was used already.", rp.env.Message, "message of SignatureNonceUsed")
	assert.Regexp(t, requestIDPattern, rp.env.RequestId, "the error carries an uppercase UUID RequestId")
	assert.Equal(t, rp.env.RequestId, rp.header.Get("x-acs-request-id"), "x-acs-request-id echoes the RequestId")
	assert.Equal(t, tc.hostID, rp.env.HostId, "HostId is the requested host")
	assert.Contains(t, rp.env.Recommend, "q="+gateway.CodeNonceUsed, "Recommend links the code")
	if tc.xml {
		assert.Equal(t, gateway.ContentTypeXML, rp.header.Get("Content-Type"), "the error is in the XML asked for")
		assert.Equal(t, "Error", rp.env.XMLName.Local, "XML errors are rooted at <Error>")
	} else {
		assert.Equal(t, gateway.ContentTypeJSON, rp.header.Get("Content-Type"), "the error is JSON")
	}
}

// TestReplaySequential sends one signed request twice: the first passes,
// the second is SignatureNonceUsed with a full envelope.
func TestReplaySequential(t *testing.T) {
	t.Parallel()
	for _, tc := range replayCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			hc, ctx := newHTTPClient(t), replayCtx(t)
			s, err := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, "").Sign(tc.req(srv.URL))
			require.NoError(t, err, "the builder must sign the request")

			first := mustSendSigned(ctx, t, hc, s)
			require.Equal(t, http.StatusOK, first.status, "the first use of a nonce passes; body %s", first.body)
			assertNonceUsed(t, mustSendSigned(ctx, t, hc, s), tc)
			assertNonceUsed(t, mustSendSigned(ctx, t, hc, s), tc)
		})
	}
}

// raceCopies is how many copies of one signed request are raced.
const raceCopies = 16

// raceSigned sends every request of reqs at once, released together by a
// barrier, and returns the answers.
func raceSigned(ctx context.Context, t *testing.T, hc *http.Client, reqs []*signature.Signed) []signedReply {
	t.Helper()
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
		replies     = make([]signedReply, len(reqs))
		errs        = make([]error, len(reqs))
	)
	for i, s := range reqs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			r, err := s.HTTPRequest(ctx)
			ready.Done()
			if err != nil {
				errs[i] = err
				return
			}
			<-start
			resp, err := hc.Do(r)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			rp := signedReply{status: resp.StatusCode, header: resp.Header}
			rp.body, errs[i] = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if rp.status != http.StatusOK && errs[i] == nil {
				if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
					errs[i] = xml.Unmarshal(rp.body, &rp.env)
				} else {
					errs[i] = json.Unmarshal(rp.body, &rp.env)
				}
			}
			replies[i] = rp
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for i, err := range errs {
		require.NoError(t, err, "racing request %d must be answered with a readable body", i)
	}
	return replies
}

// tallyRace checks that exactly one of the raced answers is a 200 and every
// other one SignatureNonceUsed.
func tallyRace(t *testing.T, replies []signedReply, tc replayCase, what string) {
	t.Helper()
	ok := 0
	for _, rp := range replies {
		if rp.status == http.StatusOK {
			ok++
			continue
		}
		assertNonceUsed(t, rp, tc)
	}
	assert.Equal(t, 1, ok, "%s: exactly one of %d racing copies may pass", what, len(replies))
}

// TestReplayRace races 16 copies of one signed request, several rounds
// with a fresh nonce each: the nonce store's check-and-insert is atomic,
// so exactly one copy passes and fifteen are SignatureNonceUsed.
func TestReplayRace(t *testing.T) {
	t.Parallel()
	const rounds = 3
	for _, tc := range replayCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			hc, ctx := newHTTPClient(t), replayCtx(t)
			b := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, "")
			for round := range rounds {
				s, err := b.Sign(tc.req(srv.URL))
				require.NoError(t, err, "the builder must sign the request")
				reqs := make([]*signature.Signed, raceCopies)
				for i := range reqs {
					reqs[i] = s.Clone()
				}
				tallyRace(t, raceSigned(ctx, t, hc, reqs), tc, fmt.Sprintf("round %d", round))
			}
		})
	}
}

// TestReplayAcrossKeys proves the nonce store is global (docs/protocol.md §4.1:
// "全网31分钟内不重复", unique network-wide): a nonce used with one key is
// refused with another active key, in sequence and in a race where half
// the copies carry each key; and, the nonce being checked before the key
// (§4.1, §4.2), even a request naming an unknown key is SignatureNonceUsed.
func TestReplayAcrossKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range replayCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, twoKeyConfig())
			hc, ctx := newHTTPClient(t), replayCtx(t)

			const nonce = "0123456789abcdef0123456789abcdef"
			first, err := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, nonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the first key")
			other, err := replaySigner(secondKey.ID, secondKey.Secret, nonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the second key")
			unknown, err := replaySigner("nosuchkey", "whatever", nonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with an unknown key")

			rp := mustSendSigned(ctx, t, hc, first)
			require.Equal(t, http.StatusOK, rp.status, "the first use of the nonce passes; body %s", rp.body)
			assertNonceUsed(t, mustSendSigned(ctx, t, hc, other), tc)
			assertNonceUsed(t, mustSendSigned(ctx, t, hc, unknown), tc)

			// The second key works with a nonce of its own.
			fresh, err := replaySigner(secondKey.ID, secondKey.Secret, "").Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the second key")
			rp = mustSendSigned(ctx, t, hc, fresh)
			assert.Equal(t, http.StatusOK, rp.status, "the second key is active; body %s", rp.body)

			// Race: half the copies signed by each key, one nonce.
			const raceNonce = "fedcba9876543210fedcba9876543210"
			a, err := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, raceNonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the first key")
			b, err := replaySigner(secondKey.ID, secondKey.Secret, raceNonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the second key")
			reqs := make([]*signature.Signed, raceCopies)
			for i := range reqs {
				if i%2 == 0 {
					reqs[i] = a.Clone()
				} else {
					reqs[i] = b.Clone()
				}
			}
			tallyRace(t, raceSigned(ctx, t, hc, reqs), tc, "two keys, one nonce")
		})
	}
}

// TestReplayForgedDoesNotBurnNonce: with the default RecordAfterSignature,
// a request whose signature fails does not record its nonce, so a forger
// who saw a nonce cannot deny its owner's request; the owner's request
// then passes once.
func TestReplayForgedDoesNotBurnNonce(t *testing.T) {
	t.Parallel()
	for _, tc := range replayCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			hc, ctx := newHTTPClient(t), replayCtx(t)
			const nonce = "forged-then-genuine"
			forged, err := replaySigner(gateway.DemoKeyID, "not-the-secret", nonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with a wrong secret")
			genuine, err := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, nonce).Sign(tc.req(srv.URL))
			require.NoError(t, err, "sign with the right secret")

			rp := mustSendSigned(ctx, t, hc, forged)
			require.Equal(t, http.StatusBadRequest, rp.status, "a forged signature is refused; body %s", rp.body)
			assert.Equal(t, gateway.CodeSignatureDoesNotMatch, rp.env.Code, "a forged signature is SignatureDoesNotMatch")
			rp = mustSendSigned(ctx, t, hc, genuine)
			assert.Equal(t, http.StatusOK, rp.status, "the forged request must not have burnt the nonce; body %s", rp.body)
			assertNonceUsed(t, mustSendSigned(ctx, t, hc, genuine), tc)
		})
	}
}

// TestReplayAnswerOrder: a used nonce is answered SignatureNonceUsed
// before every step that follows its place in docs/protocol.md §4.2 fails
// (the gateway looks a nonce up only when it records it, or when a later
// step fails first), and after the steps that come before its place (the
// key's, under nonce_check after-key). The same requests with a fresh
// nonce get each step's own answer and leave the nonce unused.
func TestReplayAnswerOrder(t *testing.T) {
	t.Parallel()
	type attempt struct {
		name  string
		id    string
		sec   signature.Secret
		token signature.Secret
		// code is the answer with a fresh nonce; beforeNonce: the step
		// comes before the nonce's place under after-key.
		code        string
		beforeNonce bool
	}
	attempts := []attempt{
		{name: "wrong-secret", id: gateway.DemoKeyID, sec: "not-the-secret", code: gateway.CodeSignatureDoesNotMatch},
		{name: "unknown-key", id: "nosuchkey", sec: "whatever", code: gateway.CodeKeyNotFound, beforeNonce: true},
		{name: "inactive-key", id: gateway.DemoInactiveKeyID, sec: gateway.DemoInactiveKey, code: gateway.CodeKeyInactive, beforeNonce: true},
		{name: "wrong-sts-token", id: gateway.DemoSTSKeyID, sec: gateway.DemoSTSKey, token: "CAIS-not-the-token", code: gateway.CodeTokenMalformed},
	}
	for _, check := range []gateway.NonceCheck{gateway.NonceBeforeKey, gateway.NonceAfterKey} {
		for _, tc := range []replayCase{replayCases[0], replayCases[3], replayCases[5]} {
			t.Run(string(check)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv := startSDKGateway(t, gateway.Config{NonceCheck: check})
				hc, ctx := newHTTPClient(t), replayCtx(t)
				sign := func(a attempt, nonce string) *signature.Signed {
					b := replaySigner(a.id, a.sec, nonce)
					b.Credentials.SecurityToken = a.token
					s, err := b.Sign(tc.req(srv.URL))
					require.NoError(t, err, "sign %s", a.name)
					return s
				}
				for i, a := range attempts {
					fresh := fmt.Sprintf("order-fresh-%d", i)
					rp := mustSendSigned(ctx, t, hc, sign(a, fresh))
					assert.Equal(t, a.code, rp.env.Code, "%s with a fresh nonce; body %s", a.name, rp.body)
					genuine := sign(attempt{id: gateway.DemoKeyID, sec: gateway.DemoKeySecret}, fresh)
					rp = mustSendSigned(ctx, t, hc, genuine)
					assert.Equal(t, http.StatusOK, rp.status, "%s must not have used its nonce; body %s", a.name, rp.body)

					rp = mustSendSigned(ctx, t, hc, sign(a, fresh))
					if a.beforeNonce && check == gateway.NonceAfterKey {
						assert.Equal(t, a.code, rp.env.Code, "%s comes before the nonce under after-key; body %s", a.name, rp.body)
					} else {
						assert.Equal(t, gateway.CodeNonceUsed, rp.env.Code, "%s with a used nonce: the nonce's answer comes first; body %s", a.name, rp.body)
					}
				}
			})
		}
	}
}

// TestReplayControls are the negative controls of the tests above: the
// same harness, against a gateway started with the nonce faults of the
// self-test, must see them. A race harness that never overlapped its
// requests, or a cross-key check that a per-key store passed, would prove
// nothing.
func TestReplayControls(t *testing.T) {
	t.Parallel()
	tc := replayCases[0]

	t.Run("nonce-race", func(t *testing.T) {
		t.Parallel()
		srv := startSDKGateway(t, gateway.Config{Faults: []gateway.Fault{gateway.FaultNonceRace}})
		hc, ctx := newHTTPClient(t), replayCtx(t)
		b := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, "")
		// The fault checks, sleeps 20ms, then records: racing copies that
		// arrive within that window all pass. A few rounds, in case one
		// is unluckily serialized.
		best := 0
		for round := 0; round < 5 && best < 2; round++ {
			s, err := b.Sign(tc.req(srv.URL))
			require.NoError(t, err, "the builder must sign the request")
			reqs := make([]*signature.Signed, raceCopies)
			for i := range reqs {
				reqs[i] = s.Clone()
			}
			ok := 0
			for _, rp := range raceSigned(ctx, t, hc, reqs) {
				if rp.status == http.StatusOK {
					ok++
				}
			}
			best = max(best, ok)
		}
		assert.GreaterOrEqual(t, best, 2, "the race harness must overlap its requests enough to let a check-then-record gateway pass several copies")
	})

	t.Run("per-key-nonces", func(t *testing.T) {
		t.Parallel()
		cfg := twoKeyConfig()
		cfg.Faults = []gateway.Fault{gateway.FaultPerKeyNonces}
		srv := startSDKGateway(t, cfg)
		hc, ctx := newHTTPClient(t), replayCtx(t)
		const nonce = "per-key-control"
		a, err := replaySigner(gateway.DemoKeyID, gateway.DemoKeySecret, nonce).Sign(tc.req(srv.URL))
		require.NoError(t, err, "sign with the first key")
		b, err := replaySigner(secondKey.ID, secondKey.Secret, nonce).Sign(tc.req(srv.URL))
		require.NoError(t, err, "sign with the second key")
		require.Equal(t, http.StatusOK, mustSendSigned(ctx, t, hc, a).status, "first key, first use")
		assert.Equal(t, http.StatusOK, mustSendSigned(ctx, t, hc, b).status, "a per-key store lets the second key reuse the nonce: the cross-key test must see this")
	})
}
