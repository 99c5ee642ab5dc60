package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/acsharness/acsharness/gateway"
)

func runServe(e *env, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var (
		configFile, logFormat string
		recordDir             string
		quiet, noAccessLog    bool
		defaultFormats        multiFlag
		f                     gateway.ServeFile
	)
	fs.StringVar(&configFile, "config", "", "YAML config file with any of the settings below (flags given explicitly win)")
	fs.StringVar(&f.Addr, "addr", gateway.DefaultAddr, "listen address (loopback by default)")
	fs.StringVar(&f.KeysFile, "keys", "", "YAML keys file (id, secret, status); default: the demo keys (README: testid/testsecret, testid2, testinactive, testthrottled)")
	fs.StringVar(&f.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	fs.StringVar(&f.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&f.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a certificate generated at start")
	fs.StringVar(&f.TLSCertOut, "tls-cert-out", "", "with --tls-self-signed: write the certificate (PEM) here for clients to trust")
	fs.StringVar(&f.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	fs.StringVar(&f.Product, "product", "", "pin every request to one product (onsmqtt|mqtt, amqp-open|rabbitmq); default: route by Host, then by version")
	fs.DurationVar(&f.Skew, "skew", gateway.DefaultSkew, "clock-skew window, both directions")
	fs.DurationVar(&f.NonceRetention, "nonce-retention", gateway.DefaultNonceRetention, "how long a nonce stays used")
	fs.IntVar(&f.NonceCapacity, "nonce-capacity", gateway.DefaultNonceCapacity, "live nonces held at most; when full, requests get 503 ServiceUnavailable")
	fs.StringVar((*string)(&f.NonceCheck), "nonce-check", string(gateway.NonceBeforeKey), "nonce check before-key or after-key lookup")
	fs.StringVar((*string)(&f.NonceRecord), "nonce-record", string(gateway.RecordAfterSignature), "record a nonce after-signature or on-arrival")
	fs.StringVar((*string)(&f.SignatureMethodCase), "signature-method-case", string(gateway.MethodStrict), "SignatureMethod comparison: strict or insensitive")
	fs.StringVar(&f.MismatchCode, "mismatch-code", gateway.CodeSignatureDoesNotMatch, "code for a wrong signature: SignatureDoesNotMatch or IncompleteSignature")
	fs.Var(&defaultFormats, "default-format", "RPC default response format of a product, PRODUCT=JSON|XML (repeatable; default onsmqtt=XML, amqp-open=JSON)")
	fs.StringVar(&f.ROADefaultFormat, "roa-default-format", gateway.FormatJSON, "ROA/V3 format without Accept: JSON, XML or product")
	fs.BoolVar(&f.TimestampOffsets, "timestamp-offsets", false, "accept Timestamp/x-acs-date with a numeric UTC offset (default: Z only)")
	fs.Float64Var(&f.RateLimit, "rate-limit", 0, "per-key requests per second before Throttling.User (0: off)")
	fs.IntVar(&f.RateBurst, "rate-burst", 0, "per-key burst (default: the rate)")
	fs.StringVar((*string)(&f.MissingParameterStyle), "missing-parameter-style", string(gateway.MissingPlain), "absent business parameter: plain (MissingParameter), dotted (MissingParameter.X) or named (MissingX)")
	fs.BoolVar(&f.VerifyContentMD5, "verify-content-md5", false, "reject a ROA body whose Content-MD5 does not match")
	fs.IntVar(&f.MaxHeaderBytes, "max-header-bytes", gateway.DefaultMaxHeaderBytes, "request line and headers, at most")
	fs.Int64Var(&f.MaxBodyBytes, "max-body-bytes", gateway.DefaultMaxBodyBytes, "request body, at most")
	fs.IntVar(&f.MaxParams, "max-params", gateway.DefaultMaxParams, "parameters per request, at most")
	fs.StringVar(&recordDir, "record", "", "record every request, and what the client did, into this folder (see report client)")
	fs.StringVar(&logFormat, "log-format", "json", "log format: json or text")
	fs.BoolVar(&noAccessLog, "no-access-log", false, "do not log each request")
	fs.BoolVar(&quiet, "quiet", false, "log errors only")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if configFile != "" {
		fromFile, err := gateway.LoadServeFile(configFile)
		if err != nil {
			return usageError(e, "serve", "--config: %v", err)
		}
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		f = mergeServe(fromFile, f, set)
	}
	for _, df := range defaultFormats {
		p, v, ok := strings.Cut(df, "=")
		if !ok {
			return usageError(e, "serve", "--default-format %q: write PRODUCT=JSON or PRODUCT=XML", df)
		}
		if f.DefaultFormats == nil {
			f.DefaultFormats = map[string]string{}
		}
		f.DefaultFormats[p] = v
	}
	var handler slog.Handler
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelError
	}
	switch logFormat {
	case "json":
		handler = slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})
	case "text":
		handler = slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})
	default:
		return usageError(e, "serve", "--log-format %q: use json or text", logFormat)
	}
	logger := slog.New(handler)
	if !noAccessLog {
		f.Config.Logger = logger
	}
	f.ServeOptions.Logger = logger
	if f.KeysFile != "" {
		keys, err := gateway.LoadKeys(f.KeysFile)
		if err != nil {
			return usageError(e, "serve", "--keys: %v", err)
		}
		f.Keys = keys
	}
	g, err := gateway.New(f.Config)
	if err != nil {
		return usageError(e, "serve", "%v", err)
	}
	stopRecording, err := startRecording(recordDir, g, &f.ServeOptions)
	if err != nil {
		return usageError(e, "serve", "%v", err)
	}
	err = gateway.Serve(e.ctx, g, f.ServeOptions)
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

// mergeServe lays the flags the user set over the config file's values.
func mergeServe(file, flags gateway.ServeFile, set map[string]bool) gateway.ServeFile {
	out := file
	pick := func(name string, apply func()) {
		if set[name] {
			apply()
		}
	}
	pick("addr", func() { out.Addr = flags.Addr })
	pick("keys", func() { out.KeysFile = flags.KeysFile })
	pick("tls-cert", func() { out.TLSCert = flags.TLSCert })
	pick("tls-key", func() { out.TLSKey = flags.TLSKey })
	pick("tls-self-signed", func() { out.TLSSelfSigned = flags.TLSSelfSigned })
	pick("tls-cert-out", func() { out.TLSCertOut = flags.TLSCertOut })
	pick("metrics-addr", func() { out.MetricsAddr = flags.MetricsAddr })
	pick("product", func() { out.Product = flags.Product })
	pick("skew", func() { out.Skew = flags.Skew })
	pick("nonce-retention", func() { out.NonceRetention = flags.NonceRetention })
	pick("nonce-capacity", func() { out.NonceCapacity = flags.NonceCapacity })
	pick("nonce-check", func() { out.NonceCheck = flags.NonceCheck })
	pick("nonce-record", func() { out.NonceRecord = flags.NonceRecord })
	pick("signature-method-case", func() { out.SignatureMethodCase = flags.SignatureMethodCase })
	pick("mismatch-code", func() { out.MismatchCode = flags.MismatchCode })
	pick("roa-default-format", func() { out.ROADefaultFormat = flags.ROADefaultFormat })
	pick("timestamp-offsets", func() { out.TimestampOffsets = flags.TimestampOffsets })
	pick("rate-limit", func() { out.RateLimit = flags.RateLimit })
	pick("rate-burst", func() { out.RateBurst = flags.RateBurst })
	pick("missing-parameter-style", func() { out.MissingParameterStyle = flags.MissingParameterStyle })
	pick("verify-content-md5", func() { out.VerifyContentMD5 = flags.VerifyContentMD5 })
	pick("max-header-bytes", func() { out.MaxHeaderBytes = flags.MaxHeaderBytes })
	pick("max-body-bytes", func() { out.MaxBodyBytes = flags.MaxBodyBytes })
	pick("max-params", func() { out.MaxParams = flags.MaxParams })
	if out.Addr == "" {
		out.Addr = gateway.DefaultAddr
	}
	return out
}
