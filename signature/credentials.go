package signature

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Environment variables the official SDKs read credentials from.
const (
	EnvAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
	EnvProfile         = "ALIBABA_CLOUD_PROFILE"
)

// Credentials are an AccessKey pair and, for STS, a security token. Only the
// ID ever appears in output; the secret and the token are [Secret]s.
type Credentials struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret Secret `json:"access_key_secret"`
	SecurityToken   Secret `json:"security_token,omitempty"`
}

// String names the key ID only.
func (c Credentials) String() string {
	if c.SecurityToken != "" {
		return fmt.Sprintf("AccessKeyId %s (STS, secret and token redacted)", c.AccessKeyID)
	}
	return fmt.Sprintf("AccessKeyId %s (secret redacted)", c.AccessKeyID)
}

// Redact replaces the secret and the security token of c with "[redacted]"
// wherever they occur in text, in every encoding a request, a string to
// sign or an echo of one gives them (see [RedactSecrets]).
func (c Credentials) Redact(text string) string {
	return RedactSecrets(text, c.AccessKeySecret, c.SecurityToken)
}

// RedactSecrets replaces each secret's value with "[redacted]" wherever it
// occurs in text: as is (a header line of a ROA string to sign,
// "x-acs-security-token:<token>"), percent-encoded once (a query, an RPC
// canonical query: "SecurityToken=<enc>", docs/protocol.md §1.2) and twice (an RPC
// string to sign: "SecurityToken%3D<enc(enc)>", docs/protocol.md §1.3), form-encoded,
// JSON- and HTML-escaped, with upper- or lower-case hex. An STS token is a
// credential like the secret (docs/protocol.md §1.2), and a gateway may echo it in
// the string to sign of an error message. Empty secrets are ignored.
func RedactSecrets(text string, secrets ...Secret) string {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		v := string(s)
		once, query := PercentEncode(v), url.QueryEscape(v)
		js, _ := json.Marshal(v)
		forms = append(forms, v, once, lowerHex(once), PercentEncode(once), PercentEncode(lowerHex(once)),
			query, lowerHex(query), string(js[1:len(js)-1]), html.EscapeString(v))
	}
	if len(forms) == 0 {
		return text
	}
	// Longest first: a replacer tries its old strings in argument order, and
	// a form must not be cut short by another that is its prefix.
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redacted)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// lowerHex writes the hex digits of s's percent-escapes in lower case, as
// some encoders do (encoded again, "%2f" becomes "%252f").
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// ErrNoCredentials means that neither the environment nor an aliyun CLI
// profile held credentials.
var ErrNoCredentials = errors.New("no credentials: set " + EnvAccessKeyID + " and " + EnvAccessKeySecret +
	" (and " + EnvSecurityToken + " for STS), or configure a profile with `aliyun configure` (~/.aliyun/config.json)")

// Source says where to look for credentials; the zero value means the
// environment, then the current profile of ~/.aliyun/config.json.
type Source struct {
	// AccessKeyID, when set, overrides the ID found (the ID is not secret and
	// may come from a flag); the secret still comes from the environment, the
	// secret file or the profile.
	AccessKeyID string
	// SecretFile, when set, is a file whose content (trimmed) is the secret.
	SecretFile string
	// Profile names an aliyun CLI profile; "" means $ALIBABA_CLOUD_PROFILE,
	// then the config's current profile.
	Profile string
	// ConfigPath is the aliyun CLI config; "" means ~/.aliyun/config.json.
	ConfigPath string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// LoadCredentials finds credentials in the order the official SDKs use: the
// environment variables, then an aliyun CLI profile. A secret file, when
// given, supplies the secret. Errors name where to look and never carry a
// secret.
func LoadCredentials(src Source) (Credentials, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Credentials{
		AccessKeyID:     getenv(EnvAccessKeyID),
		AccessKeySecret: Secret(getenv(EnvAccessKeySecret)),
		SecurityToken:   Secret(getenv(EnvSecurityToken)),
	}
	if src.SecretFile != "" {
		b, err := os.ReadFile(src.SecretFile)
		if err != nil {
			return Credentials{}, fmt.Errorf("read secret file: %w", err)
		}
		c.AccessKeySecret = Secret(strings.TrimSpace(string(b)))
		if c.AccessKeySecret == "" {
			return Credentials{}, fmt.Errorf("secret file %s is empty", src.SecretFile)
		}
	}
	if src.AccessKeyID != "" {
		c.AccessKeyID = src.AccessKeyID
	}
	if c.AccessKeySecret != "" && c.AccessKeyID != "" {
		return c, nil
	}
	profile := src.Profile
	if profile == "" {
		profile = getenv(EnvProfile)
	}
	path := src.ConfigPath
	if path == "" {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return Credentials{}, ErrNoCredentials
			}
		}
		path = filepath.Join(home, ".aliyun", "config.json")
	}
	p, err := ProfileCredentials(path, profile)
	if errors.Is(err, os.ErrNotExist) && src.Profile == "" {
		if c.AccessKeySecret != "" {
			return Credentials{}, fmt.Errorf("%s is set but %s is not: set both, or pass the key ID with --access-key-id", EnvAccessKeySecret, EnvAccessKeyID)
		}
		return Credentials{}, ErrNoCredentials
	}
	if err != nil {
		return Credentials{}, err
	}
	if src.AccessKeyID != "" {
		p.AccessKeyID = src.AccessKeyID
	}
	if c.AccessKeySecret != "" { // secret file or environment beat the profile
		p.AccessKeySecret, p.SecurityToken = c.AccessKeySecret, c.SecurityToken
	}
	return p, nil
}

// aliyunConfig is the part of the aliyun CLI's config.json read here.
type aliyunConfig struct {
	Current  string `json:"current"`
	Profiles []struct {
		Name            string `json:"name"`
		Mode            string `json:"mode"`
		AccessKeyID     string `json:"access_key_id"`
		AccessKeySecret Secret `json:"access_key_secret"`
		StsToken        Secret `json:"sts_token"`
	} `json:"profiles"`
}

// UnmarshalJSON lets a Secret be read from JSON while it never writes itself.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("secret must be a JSON string")
	}
	*s = Secret(v)
	return nil
}

// ProfileCredentials reads the profile named name ("" means the config's
// current profile) from an aliyun CLI config file. Modes AK and StsToken are
// supported; another mode is an error that says so.
func ProfileCredentials(path, name string) (Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("aliyun CLI config: %w", err)
	}
	var cfg aliyunConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Credentials{}, fmt.Errorf("aliyun CLI config %s is not valid JSON: %v", path, err)
	}
	if name == "" {
		name = cfg.Current
	}
	if name == "" {
		name = "default"
	}
	var names []string
	for _, p := range cfg.Profiles {
		names = append(names, p.Name)
		if p.Name != name {
			continue
		}
		switch p.Mode {
		case "AK", "":
			if p.AccessKeyID == "" || p.AccessKeySecret == "" {
				return Credentials{}, fmt.Errorf("profile %q in %s has no access_key_id or access_key_secret", name, path)
			}
			return Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: p.AccessKeySecret}, nil
		case "StsToken":
			return Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: p.AccessKeySecret, SecurityToken: p.StsToken}, nil
		default:
			return Credentials{}, fmt.Errorf("profile %q in %s has mode %s: only AK and StsToken profiles are supported", name, path, p.Mode)
		}
	}
	return Credentials{}, fmt.Errorf("no profile %q in %s (profiles: %s)", name, path, strings.Join(names, ", "))
}
