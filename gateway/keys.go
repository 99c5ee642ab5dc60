package gateway

import (
	"bytes"
	"fmt"
	"os"

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
	// DemoThrottledRate is the demo throttled key's limit: one request per
	// two seconds, in bursts of one.
	DemoThrottledRate = 0.5
)

// DemoKeys returns the documented demo pair, a second active key (for
// replays across keys), one inactive key, and one key limited to a request
// every two seconds (for Throttling.User).
func DemoKeys() []Key {
	return []Key{
		{ID: DemoKeyID, Secret: DemoKeySecret, Status: KeyActive},
		{ID: DemoSecondKeyID, Secret: DemoSecondKey, Status: KeyActive},
		{ID: DemoInactiveKeyID, Secret: DemoInactiveKey, Status: KeyInactive},
		{ID: DemoThrottledKeyID, Secret: DemoThrottledKey, Status: KeyActive, RateLimit: DemoThrottledRate, RateBurst: 1},
	}
}

// DemoClient are the demo keys as a client signs with them: the main key,
// a second active key, the ID of the disabled one and the throttled key.
type DemoClient struct {
	Main, Second, Throttled signature.Credentials
	InactiveID              string
}

// Demo returns the credentials of the demo keys, for clients of a gateway
// started without a keys file.
func Demo() DemoClient {
	return DemoClient{
		Main:       signature.Credentials{AccessKeyID: DemoKeyID, AccessKeySecret: DemoKeySecret},
		Second:     signature.Credentials{AccessKeyID: DemoSecondKeyID, AccessKeySecret: DemoSecondKey},
		Throttled:  signature.Credentials{AccessKeyID: DemoThrottledKeyID, AccessKeySecret: DemoThrottledKey},
		InactiveID: DemoInactiveKeyID,
	}
}

// keyFile is the YAML form of a keys file:
//
//	keys:
//	  - id: testid
//	    secret: testsecret
//	    status: active   # or inactive; default active
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
		}
		seen[k.ID] = true
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

// keyring is the gateway's read-only view of its keys.
type keyring map[string]Key

func newKeyring(keys []Key) keyring {
	kr := make(keyring, len(keys))
	for _, k := range keys {
		kr[k.ID] = k
	}
	return kr
}
