package signature

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStyleOfAuthorization(t *testing.T) {
	t.Parallel()
	for auth, want := range map[string]Style{
		"": RPC,
		"ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host,Signature=ab": V3,
		"acs testid:c2lnbmF0dXJl": ROA,
		"ACS testid:x":            RPC, // the prefixes are case-sensitive, as the gateway reads them
		"Bearer token":            RPC,
	} {
		assert.Equal(t, want, StyleOfAuthorization(auth), "%q", auth)
	}
}
