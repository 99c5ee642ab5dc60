package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// TestNonceStoreCapacityFreesAsNoncesExpire: the place of an expired nonce
// is free for a new one at once, whichever shard either falls in, with no
// sweeper (issue 9: expired entries of other shards counted against the
// capacity until their shard was next written). Each round puts the new
// nonce in a shard of its own with probability 63/64, so ten rounds prove
// the cross-shard case.
func TestNonceStoreCapacityFreesAsNoncesExpire(t *testing.T) {
	t.Parallel()
	for i := range 10 {
		clock := newManualClock(hostileNow)
		s := gateway.NewNonceStore(gateway.DefaultNonceRetention, 1, clock.Now)
		added, err := s.Add("old")
		require.NoError(t, err)
		require.True(t, added)
		_, err = s.Add(fmt.Sprintf("new-%d", i))
		require.ErrorIs(t, err, gateway.ErrNonceStoreFull, "round %d: full while the old nonce lives", i)

		// A nonce lives at least the retention and at most one bucket of
		// retention/31 more (see NewNonceStore): a minute past that, it has
		// expired.
		clock.Advance(gateway.DefaultNonceRetention + gateway.DefaultNonceRetention/31 + time.Second)
		added, err = s.Add(fmt.Sprintf("new-%d", i))
		assert.NoError(t, err, "round %d: the expired nonce's place is free, without a sweep", i)
		assert.True(t, added)
		assert.Equal(t, 1, s.Len(), "round %d: the expired nonce is no longer counted", i)
	}
}

// TestGatewayNonceCapacityFreesAsNoncesExpire: the same through the
// gateway started in-process (StartLocal): 503 while the store is full of
// live nonces, 200 again once they expire.
func TestGatewayNonceCapacityFreesAsNoncesExpire(t *testing.T) {
	t.Parallel()
	clock := newManualClock(hostileNow)
	l, err := gateway.StartLocal(gateway.Config{NonceCapacity: 2, Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	hc := newHTTPClient(t)
	signer := &signature.Builder{Credentials: gateway.Demo().Main, Now: clock.Now}
	call := func() signedReply {
		s, err := signer.Sign(signature.Request{Style: signature.RPC, Endpoint: l.URL, Action: "ListInstances", Version: "2019-12-12", Format: "JSON"})
		require.NoError(t, err)
		return mustSendSigned(replayCtx(t), t, hc, s)
	}
	assert.Equal(t, 200, call().status)
	assert.Equal(t, 200, call().status)
	full := call()
	assert.Equal(t, 503, full.status, "the store is full of live nonces")
	assert.Equal(t, gateway.CodeServiceUnavailable, full.env.Code)

	clock.Advance(gateway.DefaultNonceRetention + gateway.DefaultNonceRetention/31 + time.Second)
	after := call()
	assert.Equal(t, 200, after.status, "the expired nonces freed their places: %s %s", after.env.Code, after.env.Message)
}
