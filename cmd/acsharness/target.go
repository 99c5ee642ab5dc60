package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/product"
	"github.com/acsharness/acsharness/signature"
)

// Environment variables of the extra keys some scenarios need against a
// target of your own (the embedded gateway has demo keys of each kind).
const (
	envSecondID        = "ACSHARNESS_SECOND_ACCESS_KEY_ID"
	envSecondSecret    = "ACSHARNESS_SECOND_ACCESS_KEY_SECRET"
	envThrottledID     = "ACSHARNESS_THROTTLED_ACCESS_KEY_ID"
	envThrottledSecret = "ACSHARNESS_THROTTLED_ACCESS_KEY_SECRET"
	envSTSID           = "ACSHARNESS_STS_ACCESS_KEY_ID"
	envSTSSecret       = "ACSHARNESS_STS_ACCESS_KEY_SECRET"
	envSTSToken        = "ACSHARNESS_STS_SECURITY_TOKEN"
)

// targetFlags are the flags conform and load share to pick a gateway, its
// profiles and the credentials to sign with.
type targetFlags struct {
	target, accessKeyID, secretFile, aliyunProfile, inactiveKeyID, caCert string
	profiles                                                              multiFlag
	insecure                                                              bool
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.target, "target", "", "gateway base URL (default: the reference gateway, started in-process on 127.0.0.1 with its demo keys)")
	fs.Var(&t.profiles, "profile", "target profile YAML (repeatable; replaces the built-in MQTT and RabbitMQ profiles)")
	fs.StringVar(&t.accessKeyID, "access-key-id", "", "AccessKey ID for --target (default $"+signature.EnvAccessKeyID+"); the secret comes from $"+signature.EnvAccessKeySecret+", --secret-file or --aliyun-profile")
	fs.StringVar(&t.secretFile, "secret-file", "", "file holding the AccessKey secret")
	fs.StringVar(&t.aliyunProfile, "aliyun-profile", "", "aliyun CLI profile in ~/.aliyun/config.json")
	fs.StringVar(&t.inactiveKeyID, "inactive-key-id", "", "a disabled key of --target, for the InvalidAccessKeyId.Inactive checks (skipped without it)")
	fs.StringVar(&t.caCert, "ca-cert", "", "PEM file of a CA (or the self-signed certificate) to trust for an https --target, besides the system's roots (which $SSL_CERT_FILE and $SSL_CERT_DIR replace)")
	fs.BoolVar(&t.insecure, "insecure", false, "do not verify the target's TLS certificate")
}

// targetOnly are the flags that describe a target of your own: without
// --target they would be ignored, so they are an error.
func (t *targetFlags) targetOnly() []struct{ name, value string } {
	insecure := ""
	if t.insecure {
		insecure = "true"
	}
	return []struct{ name, value string }{
		{"access-key-id", t.accessKeyID}, {"secret-file", t.secretFile}, {"aliyun-profile", t.aliyunProfile},
		{"inactive-key-id", t.inactiveKeyID}, {"ca-cert", t.caCert}, {"insecure", insecure},
	}
}

// target is a resolved target: where to send and what to sign with.
type target struct {
	url       string
	tls       tlsOptions
	embedded  *gateway.Local
	creds     signature.Credentials
	inactive  string
	second    *signature.Credentials
	throttled *signature.Credentials
	sts       *signature.Credentials
	profiles  []conformance.Profile
}

// secrets are the secrets and tokens of every key the target is signed
// with: what no output may carry.
func (t *target) secrets() []signature.Secret {
	out := []signature.Secret{t.creds.AccessKeySecret, t.creds.SecurityToken}
	for _, c := range []*signature.Credentials{t.second, t.throttled} {
		if c != nil {
			out = append(out, c.AccessKeySecret, c.SecurityToken)
		}
	}
	return out
}

func (t *target) close() {
	if t.embedded != nil {
		_ = t.embedded.Close()
	}
}

// loadProfiles returns the --profile files, or the built-in profiles.
func (t *targetFlags) loadProfiles() ([]conformance.Profile, error) {
	if len(t.profiles) == 0 {
		return conformance.BuiltinProfiles(), nil
	}
	var out []conformance.Profile
	for _, path := range t.profiles {
		p, err := conformance.LoadProfile(path)
		if err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// resolve starts the embedded gateway when no --target is given, and finds
// the credentials.
func (t *targetFlags) resolve(e *env, profiles []conformance.Profile) (*target, error) {
	if t.target == "" {
		if len(t.profiles) > 0 {
			return nil, errors.New("--profile describes a gateway of your own: give its URL with --target")
		}
		for _, f := range t.targetOnly() {
			if f.value != "" {
				return nil, fmt.Errorf("--%s applies to --target, and there is none: without --target the embedded gateway runs with its demo keys; add --target URL or drop --%s", f.name, f.name)
			}
		}
		l, err := gateway.StartLocal(gateway.Config{})
		if err != nil {
			return nil, err
		}
		demo := gateway.Demo()
		return &target{url: l.URL, embedded: l, profiles: profiles, creds: demo.Main, inactive: demo.InactiveID,
			second: &demo.Second, throttled: &demo.Throttled, sts: &demo.STS}, nil
	}
	tlsOpts, err := t.tlsOptions()
	if err != nil {
		return nil, err
	}
	creds, err := signature.LoadCredentials(signature.Source{AccessKeyID: t.accessKeyID, SecretFile: t.secretFile, Profile: t.aliyunProfile, Getenv: e.getenv})
	if err != nil {
		return nil, err
	}
	out := &target{url: strings.TrimRight(t.target, "/"), tls: tlsOpts, creds: creds, inactive: t.inactiveKeyID, profiles: profiles}
	if id, s := e.getenv(envSecondID), e.getenv(envSecondSecret); id != "" && s != "" {
		out.second = &signature.Credentials{AccessKeyID: id, AccessKeySecret: signature.Secret(s)}
	}
	if id, s := e.getenv(envThrottledID), e.getenv(envThrottledSecret); id != "" && s != "" {
		out.throttled = &signature.Credentials{AccessKeyID: id, AccessKeySecret: signature.Secret(s)}
	}
	// An STS key of the target besides the main one (the checks send its
	// token with the main key too, as another key's token).
	if id, s, tok := e.getenv(envSTSID), e.getenv(envSTSSecret), e.getenv(envSTSToken); id != "" && s != "" && tok != "" {
		out.sts = &signature.Credentials{AccessKeyID: id, AccessKeySecret: signature.Secret(s), SecurityToken: signature.Secret(tok)}
	}
	return out, nil
}

// tlsOptions is how a command checks a target's TLS certificate.
type tlsOptions struct {
	insecure bool
	// rootCAs are the system's roots and --ca-cert; nil means the system's.
	rootCAs *x509.CertPool
}

// config returns the client TLS configuration, or nil for Go's defaults
// (the system's roots, which SSL_CERT_FILE and SSL_CERT_DIR set).
func (o tlsOptions) config() *tls.Config {
	if !o.insecure && o.rootCAs == nil {
		return nil
	}
	return &tls.Config{InsecureSkipVerify: o.insecure, RootCAs: o.rootCAs} //nolint:gosec // --insecure: the user asked for it
}

// tlsOptions checks --ca-cert and --insecure against --target and reads
// the CA file: a CA the system does not know is trusted besides the
// system's roots, not instead of them.
func (t *targetFlags) tlsOptions() (tlsOptions, error) {
	o := tlsOptions{insecure: t.insecure}
	if t.caCert == "" {
		return o, nil
	}
	switch {
	case t.insecure:
		return o, errors.New("--ca-cert and --insecure exclude each other: --insecure trusts any certificate; drop it to check the target's against --ca-cert")
	case !strings.HasPrefix(strings.ToLower(t.target), "https://"):
		return o, fmt.Errorf("--ca-cert is for an https:// target, and --target %s is not one", t.target)
	}
	pem, err := os.ReadFile(t.caCert)
	if err != nil {
		return o, fmt.Errorf("--ca-cert: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return o, fmt.Errorf("--ca-cert %s holds no PEM certificate (a block that starts -----BEGIN CERTIFICATE-----)", t.caCert)
	}
	o.rootCAs = pool
	return o, nil
}

// checkReportDir makes dir and proves it writable before anything is sent,
// so that a run is never lost to a report it cannot write.
func checkReportDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report-dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".acsharness-write-check-*")
	if err != nil {
		return fmt.Errorf("--report-dir %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// listFlag is a repeatable flag that also splits on commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// productCode resolves a --product name to the product code of one of
// codes (the products of the profiles in use): the code itself, or for a
// built-in product any name it is known by (mqtt, rabbitmq), any case, as
// sign and serve accept them (product.Find). Every command's --product goes
// through here.
func productCode(name string, codes []string) (string, error) {
	for _, c := range codes {
		if strings.EqualFold(c, name) {
			return c, nil
		}
	}
	if p, err := product.Lookup(name); err == nil && slices.Contains(codes, p.Code) {
		return p.Code, nil
	}
	valid := slices.Clone(codes)
	for _, p := range product.Builtin() {
		if slices.Contains(codes, p.Code) {
			valid = append(valid, p.Aliases...)
		}
	}
	return "", fmt.Errorf("--product %q%s: use one of %s", name, didYouMean(name, valid, ""), strings.Join(valid, ", "))
}

// productCodes resolves every name of a repeated --product.
func productCodes(names, codes []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c, err := productCode(n, codes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// checkChoices rejects values not among valid, naming the flag.
func checkChoices(name string, got, valid []string) error {
	for _, g := range got {
		if !slices.Contains(valid, g) {
			return fmt.Errorf("--%s %q: use one of %s", name, g, strings.Join(valid, ", "))
		}
	}
	return nil
}

// useColor reports whether w is a terminal that wants colour.
func useColor(e *env, w any, mode string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if e.getenv("NO_COLOR") != "" || e.getenv("CI") == "true" || e.getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
