package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
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
	target, accessKeyID, secretFile, aliyunProfile, inactiveKeyID string
	profiles                                                      multiFlag
	insecure                                                      bool
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.target, "target", "", "gateway base URL (default: the reference gateway, started in-process on 127.0.0.1 with its demo keys)")
	fs.Var(&t.profiles, "profile", "target profile YAML (repeatable; replaces the built-in MQTT and RabbitMQ profiles)")
	fs.StringVar(&t.accessKeyID, "access-key-id", "", "AccessKey ID for --target (default $"+signature.EnvAccessKeyID+"); the secret comes from $"+signature.EnvAccessKeySecret+", --secret-file or --aliyun-profile")
	fs.StringVar(&t.secretFile, "secret-file", "", "file holding the AccessKey secret")
	fs.StringVar(&t.aliyunProfile, "aliyun-profile", "", "aliyun CLI profile in ~/.aliyun/config.json")
	fs.StringVar(&t.inactiveKeyID, "inactive-key-id", "", "a disabled key of --target, for the InvalidAccessKeyId.Inactive checks (skipped without it)")
	fs.BoolVar(&t.insecure, "insecure", false, "do not verify the target's TLS certificate")
}

// target is a resolved target: where to send and what to sign with.
type target struct {
	url       string
	embedded  *gateway.Local
	creds     signature.Credentials
	inactive  string
	second    *signature.Credentials
	throttled *signature.Credentials
	sts       *signature.Credentials
	profiles  []conformance.Profile
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
		l, err := gateway.StartLocal(gateway.Config{})
		if err != nil {
			return nil, err
		}
		demo := gateway.Demo()
		return &target{url: l.URL, embedded: l, profiles: profiles, creds: demo.Main, inactive: demo.InactiveID,
			second: &demo.Second, throttled: &demo.Throttled, sts: &demo.STS}, nil
	}
	creds, err := signature.LoadCredentials(signature.Source{AccessKeyID: t.accessKeyID, SecretFile: t.secretFile, Profile: t.aliyunProfile, Getenv: e.getenv})
	if err != nil {
		return nil, err
	}
	out := &target{url: strings.TrimRight(t.target, "/"), creds: creds, inactive: t.inactiveKeyID, profiles: profiles}
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
