package reports

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The hint filter in front of the redactions never lets a secret through:
// each form each redaction hides, in any case, is still hidden.
func TestRedactHintsMissNothing(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"GET /?Signature=abc123", `{"Signature": "abc"}`, "Authorization: ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host,Signature=deadbeef",
		"Authorization: acs testid:c2lnbmF0dXJl", "AccessKeySecret=s3cr3t", `{"access_key_secret":"s3cr3t"}`, "client-secret: s3cr3t",
		"password=s3cr3t", "x-acs-security-token:tok3n", "SecurityToken=tok3n", "%26SecurityToken%3Dtok3n%26",
		"%2526SecurityToken%253Dtok3n%2526", "https://user:s3cr3t@gw.example.test/",
	} {
		for _, v := range []string{in, strings.ToUpper(in), strings.ToLower(in)} {
			assert.True(t, mayHoldSecret(v), v)
			out := redactText(v)
			assert.Contains(t, out, redactedMark, v)
			for _, secret := range []string{"abc123", "deadbeef", "c2lnbmF0dXJl", "s3cr3t", "tok3n"} {
				assert.NotContains(t, strings.ToLower(out), strings.ToLower(secret), v)
			}
		}
	}
	assert.False(t, mayHoldSecret(strings.Repeat("why ", 20)))
}
