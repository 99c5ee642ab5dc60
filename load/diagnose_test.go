package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// Explain says why nothing met its expectation: the secret when the
// target's echoed string to sign equals ours, where they part otherwise,
// else the dominant code or transport error.
func TestExplain(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	// A target that refuses every signature and echoes a string to sign of
	// its own (it decoded the path differently, say).
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:GET&%2Fother&AccessKeyId%3Dtestid"}`))
	}))
	t.Cleanup(other.Close)
	wrong := signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: "wrong"}
	spec := probeSpec(signature.RPC)
	run := func(target string, creds signature.Credentials) (*Summary, []*Item) {
		it, err := NewActionItem(spec.Action, 1, target, spec, creds, signature.NewNonceSource())
		require.NoError(t, err)
		items := []*Item{it}
		sum, err := Run(context.Background(), Options{Target: target, Items: items, Schedule: Constant{200}, Requests: 5, Timeout: 2 * time.Second})
		require.NoError(t, err)
		return sum, items
	}

	sum, items := run(l.URL, wrong)
	assert.Equal(t, WrongSecret, Explain(context.Background(), sum, items, false))

	sum, items = run(other.URL, demoCreds)
	why := Explain(context.Background(), sum, items, false)
	assert.Contains(t, why, "the target's string to sign differs from ours at byte 7")
	assert.Contains(t, why, `theirs …"GET&%2Fother&AccessKeyId%3Dtestid"…`)

	sum, items = run(l.URL, signature.Credentials{AccessKeyID: "nosuchkey", AccessKeySecret: "x"})
	assert.Equal(t, "no request met its expectation: the target answered InvalidAccessKeyId.NotFound to 5 of 5",
		Explain(context.Background(), sum, items, false))

	sum, items = run(l.URL, demoCreds)
	assert.Empty(t, Explain(context.Background(), sum, items, false), "a run that met its expectations needs no explanation")

	refused := &Summary{Requests: 4, NoAnswer: 4, Errors: map[string]uint64{"connection refused": 4}}
	assert.Equal(t, "no request got an answer: connection refused (4 of 4)", Explain(context.Background(), refused, nil, false))
}
