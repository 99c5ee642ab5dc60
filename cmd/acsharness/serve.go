package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/conformance"
	"github.com/acsharness/acsharness/gateway"
)

// serveSettings are what serve's flags set.
type serveSettings struct {
	cfg                           gateway.Config
	opts                          gateway.ServeOptions
	configFile, logFormat         string
	recordDir                     string
	quiet, noAccessLog            bool
	defaultFormats, mismatchCodes multiFlag
	suffixes, regions             listFlag
}

// repeatable are serve's flags that may be given more than once; in a
// config file they take a list, and the PRODUCT=VALUE ones a mapping too.
var repeatable = map[string]bool{"default-format": true, "mismatch-code": true, "endpoint-suffix": true, "region": true}

// newServeFlags returns serve's flag set, bound to a fresh serveSettings.
func newServeFlags() (*flag.FlagSet, *serveSettings) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s := &serveSettings{}
	c, o := &s.cfg, &s.opts
	fs.StringVar(&s.configFile, "config", "", "YAML file of settings: any flag below as a key (nonce_check or nonce-check); flags given on the command line win")
	fs.StringVar(&o.Addr, "addr", gateway.DefaultAddr, "listen address (loopback by default)")
	fs.StringVar(&o.KeysFile, "keys", "", "YAML keys file (id, secret, status, security_token, expiration); default: the demo keys (README: testid/testsecret, testid2, testinactive, testthrottled, STS.testsession)")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&o.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a certificate generated at start")
	fs.StringVar(&o.TLSCertOut, "tls-cert-out", "", "with --tls-self-signed: write the certificate (PEM) here for clients to trust")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	fs.IntVar(&o.MaxConns, "max-conns", 0, fmt.Sprintf("open connections at most; one more is closed at once (default %d, or half the open-file limit if lower)", gateway.DefaultMaxConns))
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 0, "how long requests in flight may finish on SIGINT/SIGTERM (default 10s)")
	fs.StringVar(&c.Product, "product", "", "pin every request to one product (onsmqtt|mqtt, amqp-open|rabbitmq); default: route by Host, then by version")
	fs.Var(&s.suffixes, "endpoint-suffix", "a private cloud's domain suffix served beside aliyuncs.com, e.g. cloud.example.com (repeatable)")
	fs.Var(&s.regions, "region", "a region ID served by every product beyond its region table (repeatable)")
	fs.DurationVar(&c.Skew, "skew", gateway.DefaultSkew, "clock-skew window, both directions")
	fs.StringVar(&c.ZonelessTimestamp, "zoneless-timestamp", gateway.ZonelessUTC, "a Timestamp/x-acs-date without a zone: utc (read as UTC) or refuse")
	fs.BoolVar(&c.TimestampOffsets, "timestamp-offsets", false, "accept Timestamp/x-acs-date with a numeric UTC offset (default: Z only)")
	fs.DurationVar(&c.NonceRetention, "nonce-retention", gateway.DefaultNonceRetention, "how long a nonce stays used")
	fs.IntVar(&c.NonceCapacity, "nonce-capacity", gateway.DefaultNonceCapacity, "live nonces held at most; when full, requests get 503 ServiceUnavailable")
	fs.StringVar((*string)(&c.NonceCheck), "nonce-check", string(gateway.NonceBeforeKey), "nonce check before-key or after-key lookup")
	fs.StringVar((*string)(&c.NonceRecord), "nonce-record", string(gateway.RecordAfterSignature), "record a nonce after-signature or on-arrival")
	fs.StringVar((*string)(&c.SignatureMethodCase), "signature-method-case", string(gateway.MethodStrict), "SignatureMethod comparison: strict or insensitive")
	fs.Var(&s.mismatchCodes, "mismatch-code", "code for a wrong signature, SignatureDoesNotMatch or IncompleteSignature, for every product or as PRODUCT=CODE (repeatable)")
	fs.StringVar(&c.KeyNotFoundCode, "key-not-found-code", gateway.CodeKeyNotFound, "code for an unknown AccessKeyId: InvalidAccessKeyId.NotFound (404) or InvalidAccessKeyId (400)")
	fs.Var(&s.defaultFormats, "default-format", "RPC default response format of a product, PRODUCT=JSON|XML (repeatable; default onsmqtt=XML, amqp-open=JSON)")
	fs.StringVar(&c.ROADefaultFormat, "roa-default-format", gateway.FormatJSON, "ROA/V3 format without Accept: JSON, XML or product")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "per-key requests per second before Throttling.User (0: off)")
	fs.IntVar(&c.RateBurst, "rate-burst", 0, "per-key burst (default: the rate)")
	fs.StringVar((*string)(&c.MissingParameterStyle), "missing-parameter-style", string(gateway.MissingPlain), "absent business parameter: plain (MissingParameter), dotted (MissingParameter.X) or named (MissingX)")
	fs.BoolVar(&c.VerifyContentMD5, "verify-content-md5", false, "reject a ROA body whose Content-MD5 does not match")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", gateway.DefaultMaxHeaderBytes, "request line and headers, at most")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", gateway.DefaultMaxBodyBytes, "request body, at most")
	fs.IntVar(&c.MaxParams, "max-params", gateway.DefaultMaxParams, "parameters per request, at most")
	fs.DurationVar(&c.BodyTimeout, "body-timeout", gateway.DefaultBodyTimeout, "time for a request body to arrive, shorter than --write-timeout (beyond: 408 RequestTimeout)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", gateway.DefaultWriteTimeout, "time from a request's headers to the end of its answer")
	fs.StringVar(&s.recordDir, "record", "", "record every request, and what the client did, into this folder (see report client)")
	fs.StringVar(&s.logFormat, "log-format", "json", "log format: json or text")
	fs.BoolVar(&s.noAccessLog, "no-access-log", false, "do not log each request")
	fs.BoolVar(&s.quiet, "quiet", false, "log errors only")
	return fs, s
}

func runServe(e *env, args []string) int {
	fs, s := newServeFlags()
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if s.configFile != "" {
		// The file's settings first, then the command line again over
		// them: a flag given explicitly wins (a repeatable one adds).
		path := s.configFile
		fs, s = newServeFlags()
		if err := applyConfigFile(fs, path); err != nil {
			return usageError(e, "serve", "--config: %v", err)
		}
		if code := parseFlags(e, fs, args); code >= 0 {
			return code
		}
	}
	if err := s.settle(); err != nil {
		return usageError(e, "serve", "%v", err)
	}
	var handler slog.Handler
	level := slog.LevelInfo
	if s.quiet {
		level = slog.LevelError
	}
	// The server's messages and the access log share stderr (an os.File:
	// each write is whole).
	stderr := e.stderr
	switch s.logFormat {
	case gateway.AccessLogJSON:
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	case gateway.AccessLogText:
		handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		return usageError(e, "serve", "--log-format %q: use json or text", s.logFormat)
	}
	logger := slog.New(handler)
	if !s.noAccessLog {
		s.cfg.Logger = logger // a recovered panic; with --quiet, the only lines
	}
	if !s.noAccessLog && !s.quiet {
		// The access log is written off the request path, in batches
		// (gateway.AccessLog); Close, after the last request, writes
		// what it holds.
		al, err := gateway.NewAccessLog(stderr, gateway.AccessLogOptions{Format: s.logFormat})
		if err != nil {
			return usageError(e, "serve", "%v", err)
		}
		defer al.Close()
		s.cfg.AccessLog = al
	}
	s.opts.Logger = logger
	if s.opts.KeysFile != "" {
		keys, err := gateway.LoadKeys(s.opts.KeysFile)
		if err != nil {
			return usageError(e, "serve", "--keys: %v", err)
		}
		s.cfg.Keys = keys
	}
	g, err := gateway.New(s.cfg)
	if err != nil {
		return usageError(e, "serve", "%v", err)
	}
	stopRecording, err := startRecording(s.recordDir, g, &s.opts)
	if err != nil {
		return usageError(e, "serve", "%v", err)
	}
	err = gateway.Serve(e.ctx, g, s.opts)
	if rerr := stopRecording(); rerr != nil && err == nil {
		err = fmt.Errorf("--record: %w", rerr)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness serve: %v\n", err)
		var setup *gateway.SetupError
		if errors.As(err, &setup) {
			return exitUsage
		}
		return exitInternal
	}
	return exitOK
}

// settle turns the repeatable flags into the gateway's settings.
func (s *serveSettings) settle() error {
	s.cfg.EndpointSuffixes, s.cfg.Regions = s.suffixes, s.regions
	for _, df := range s.defaultFormats {
		p, v, ok := strings.Cut(df, "=")
		if !ok {
			return fmt.Errorf("--default-format %q: write PRODUCT=JSON or PRODUCT=XML", df)
		}
		if s.cfg.DefaultFormats == nil {
			s.cfg.DefaultFormats = map[string]string{}
		}
		s.cfg.DefaultFormats[p] = v
	}
	for _, mc := range s.mismatchCodes {
		p, code, ok := strings.Cut(mc, "=")
		if !ok {
			s.cfg.MismatchCode = mc // every product's
			continue
		}
		if s.cfg.MismatchCodes == nil {
			s.cfg.MismatchCodes = map[string]string{}
		}
		s.cfg.MismatchCodes[p] = code
	}
	return nil
}

// applyConfigFile sets the flags of fs from the YAML mapping in the file at
// path, strictly: each key is a flag's name, written with '-' or '_'; an
// unknown key, a key given twice, a list for a flag that takes one value or
// a value the flag refuses is a problem naming file:line:column and the fix
// (the nearest valid key for a typo), as the scenario loader reports them.
// Every problem is reported at once.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: not valid YAML: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d:%d: the file must be a mapping of settings (key: value lines)", path, root.Line, root.Column)
	}
	var valid []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" {
			valid = append(valid, f.Name)
		}
	})
	var problems []string
	add := func(n *yaml.Node, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d:%d: %s", path, n.Line, n.Column, fmt.Sprintf(format, a...)))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := strings.ReplaceAll(k.Value, "_", "-")
		f := fs.Lookup(name)
		switch {
		case name == "config":
			add(k, "a config file cannot name another: drop %q", k.Value)
			continue
		case f == nil:
			hint := ""
			if s := conformance.Nearest(name, valid); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", strings.ReplaceAll(s, "-", "_"))
			}
			add(k, "unknown key %q%s; the keys are serve's flags, with - or _: %s", k.Value, hint, strings.Join(valid, ", "))
			continue
		case seen[name]:
			add(k, "key %q is given twice: keep one", k.Value)
			continue
		}
		seen[name] = true
		var values []string
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
			values = []string{v.Value}
		case v.Kind == yaml.SequenceNode && repeatable[name]:
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					add(item, "%s: each entry must be a plain value", k.Value)
					continue
				}
				values = append(values, item.Value)
			}
		case v.Kind == yaml.MappingNode && (name == "default-format" || name == "mismatch-code"):
			for j := 0; j+1 < len(v.Content); j += 2 {
				values = append(values, v.Content[j].Value+"="+v.Content[j+1].Value)
			}
		case v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode:
			add(v, "%s takes one value, not a list or a mapping", k.Value)
			continue
		default:
			add(v, "%s has no value: give one, or drop the key", k.Value)
			continue
		}
		for _, val := range values {
			if err := fs.Set(name, val); err != nil {
				add(v, "%s: %q is not a valid value (%v); %s", k.Value, val, err, f.Usage)
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	return nil
}
