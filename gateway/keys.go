package gateway

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/signature"
)

// KeyStatus is the state of an AccessKey.
type KeyStatus string

// Key states: an inactive key is answered InvalidAccessKeyId.Inactive.
const (
	KeyActive   KeyStatus = "active"
	KeyInactive KeyStatus = "inactive"
)

// Key is one AccessKey the gateway knows.
type Key struct {
	ID     string           `yaml:"id"`
	Secret signature.Secret `yaml:"secret"`
	Status KeyStatus        `yaml:"status"`
	// RateLimit, when set, limits this key to so many requests per second
	// (Throttling.User beyond), in bursts of RateBurst; it replaces the
	// gateway's rate_limit for this key.
	RateLimit float64 `yaml:"rate_limit,omitempty"`
	RateBurst int     `yaml:"rate_burst,omitempty"`
	// SecurityToken, when set, makes this an STS key, as temporary
	// credentials are: a request must carry this token (RPC SecurityToken,
	// ROA and V3 x-acs-security-token), signed like any parameter or
	// x-acs-* header (docs/protocol.md §1.1, §2.1, §3.1, §9 F15).
	SecurityToken signature.Secret `yaml:"security_token,omitempty"`
	// Expiration, when set, is when the STS credentials expire; after it
	// the token is InvalidSecurityToken.Expired.
	Expiration time.Time `yaml:"expiration,omitempty"`
}

// The demo keys the gateway knows when no keys file is given. They are
// documented, public test values, like the docs' own testid/testsecret.
const (
	DemoKeyID          = "testid"
	DemoKeySecret      = "testsecret"
	DemoInactiveKeyID  = "testinactive"
	DemoInactiveKey    = "testsecret-inactive"
	DemoSecondKeyID    = "testid2"
	DemoSecondKey      = "testsecret2"
	DemoThrottledKeyID = "testthrottled"
	DemoThrottledKey   = "testsecret-throttled"
	// The demo STS key: temporary credentials with a session token and no
	// expiry. Its ID has the STS. prefix of real temporary keys.
	DemoSTSKeyID = "STS.testsession"
	DemoSTSKey   = "testsecret-sts"
	DemoSTSToken = "CAIS-acsharness-demo-security-token"
	// DemoThrottledRate is the demo throttled key's limit: one request per
	// two seconds, in bursts of one.
	DemoThrottledRate = 0.5
)

// DemoKeys returns the documented demo pair, a second active key (for
// replays across keys), one inactive key, one key limited to a request
// every two seconds (for Throttling.User), and one STS key with a session
// token (for the SecurityToken checks).
func DemoKeys() []Key {
	return []Key{
		{ID: DemoKeyID, Secret: DemoKeySecret, Status: KeyActive},
		{ID: DemoSecondKeyID, Secret: DemoSecondKey, Status: KeyActive},
		{ID: DemoInactiveKeyID, Secret: DemoInactiveKey, Status: KeyInactive},
		{ID: DemoThrottledKeyID, Secret: DemoThrottledKey, Status: KeyActive, RateLimit: DemoThrottledRate, RateBurst: 1},
		{ID: DemoSTSKeyID, Secret: DemoSTSKey, Status: KeyActive, SecurityToken: DemoSTSToken},
	}
}

// DemoClient are the demo keys as a client signs with them: the main key,
// a second active key, the ID of the disabled one, the throttled key and
// the STS key with its token.
type DemoClient struct {
	Main, Second, Throttled, STS signature.Credentials
	InactiveID                   string
}

// Demo returns the credentials of the demo keys, for clients of a gateway
// started without a keys file.
func Demo() DemoClient {
	return DemoClient{
		Main:       signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: DemoKeySecret},
		Second:     signature.Credentials{AccessKeyID: DemoSecondKeyID, AccessKeySecret: DemoSecondKey},
		Throttled:  signature.Credentials{AccessKeyID: DemoThrottledKeyID, AccessKeySecret: DemoThrottledKey},
		STS:        signature.Credentials{AccessKeyID: DemoSTSKeyID, AccessKeySecret: DemoSTSKey, SecurityToken: DemoSTSToken},
		InactiveID: DemoInactiveKeyID,
	}
}

// keyFile is the YAML form of a keys file:
//
//	keys:
//	  - id: testid
//	    secret: testsecret
//	    status: active   # or inactive; default active
//	  - id: STS.session
//	    secret: sts-secret
//	    security_token: CAIS...         # an STS key: requests carry this token
//	    expiration: 2026-12-01T00:00:00Z # optional
type keyFile struct {
	Keys []Key `yaml:"keys"`
}

// LoadKeys reads a keys file. Unknown fields, a duplicated or empty ID, an
// empty secret and an unknown status are errors naming the line; a secret
// is never quoted in an error.
func LoadKeys(path string) ([]Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	return ParseKeys(path, b)
}

// ParseKeys parses the content of a keys file named name (for messages).
func ParseKeys(name string, b []byte) ([]Key, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %v", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v (a keys file holds `keys:` with id, secret and status for each key)", name, err)
	}
	lines := keyLines(&doc)
	seen := map[string]bool{}
	tokens := map[signature.Secret]string{}
	for i := range f.Keys {
		k := &f.Keys[i]
		at := fmt.Sprintf("%s:%d", name, lineOf(lines, i))
		switch {
		case k.ID == "":
			return nil, fmt.Errorf("%s: key %d has no id", at, i+1)
		case k.Secret == "":
			return nil, fmt.Errorf("%s: key %q has no secret", at, k.ID)
		case seen[k.ID]:
			return nil, fmt.Errorf("%s: key %q is listed twice", at, k.ID)
		case k.RateLimit < 0 || k.RateBurst < 0:
			return nil, fmt.Errorf("%s: key %q has a negative rate_limit or rate_burst", at, k.ID)
		case !k.Expiration.IsZero() && k.SecurityToken == "":
			return nil, fmt.Errorf("%s: key %q has an expiration but no security_token: only STS credentials expire", at, k.ID)
		case k.SecurityToken != "" && tokens[k.SecurityToken] != "":
			// The token is never quoted: it is a secret.
			return nil, fmt.Errorf("%s: key %q has the security_token of key %q: each STS key has its own", at, k.ID, tokens[k.SecurityToken])
		}
		seen[k.ID] = true
		if k.SecurityToken != "" {
			tokens[k.SecurityToken] = k.ID
		}
		switch k.Status {
		case "":
			k.Status = KeyActive
		case KeyActive, KeyInactive:
		default:
			return nil, fmt.Errorf("%s: key %q has status %q: use active or inactive", at, k.ID, k.Status)
		}
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("%s: no keys: list at least one under `keys:`", name)
	}
	return f.Keys, nil
}

// keyLines returns the line of each entry of the keys sequence.
func keyLines(doc *yaml.Node) []int {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "keys" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, n := range m.Content[i+1].Content {
				out = append(out, n.Line)
			}
			return out
		}
	}
	return nil
}

func lineOf(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// keyring is the gateway's read-only view of its keys, by ID and by STS
// token.
type keyring struct {
	byID    map[string]Key
	byToken map[signature.Secret]string // token -> the ID of the key it belongs to
}

func newKeyring(keys []Key) keyring {
	kr := keyring{byID: make(map[string]Key, len(keys)), byToken: map[signature.Secret]string{}}
	for _, k := range keys {
		kr.byID[k.ID] = k
		if k.SecurityToken != "" {
			kr.byToken[k.SecurityToken] = k.ID
		}
	}
	return kr
}

// STS error codes (docs/protocol.md §9 F15; the messages are [INF]).
const (
	CodeMissingSecurityToken = "MissingSecurityToken"
	CodeTokenMalformed       = "InvalidSecurityToken.Malformed"
	CodeTokenMismatch        = "InvalidSecurityToken.MismatchWithAccessKey"
	CodeTokenExpired         = "InvalidSecurityToken.Expired"
)

var (
	errTokenMalformed = &apiError{http.StatusBadRequest, CodeTokenMalformed, "Specified SecurityToken is malformed."}
	errTokenMismatch  = &apiError{http.StatusBadRequest, CodeTokenMismatch, "Specified SecurityToken mismatch with the AccessKey."}
	errTokenExpired   = &apiError{http.StatusBadRequest, CodeTokenExpired, "Specified SecurityToken is expired."}
)

// checkToken checks the security token a request carries (empty: none)
// against its key at now (docs/protocol.md §9 F15): an STS key needs its own
// token, unexpired; a token is refused as another key's when it is one,
// and as malformed when it is nobody's.
func (kr keyring) checkToken(k Key, token string, now time.Time) *apiError {
	switch {
	case token == "" && k.SecurityToken == "":
		return nil
	case token == "":
		return errMissing("SecurityToken")
	case k.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(k.SecurityToken)) == 1:
		if !k.Expiration.IsZero() && !now.Before(k.Expiration) {
			return errTokenExpired
		}
		return nil
	case kr.byToken[signature.Secret(token)] != "":
		return errTokenMismatch
	}
	return errTokenMalformed
}
