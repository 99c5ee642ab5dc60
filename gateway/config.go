package gateway

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acsharness/acsharness/product"
)

// NonceCheck says when the nonce is checked relative to the AccessKey
// lookup. Real gateways check it first: an empty nonce with an empty key ID
// was answered SignatureNonceUsed (docs/protocol.md §4.1).
type NonceCheck string

// The two nonce-check orders.
const (
	NonceBeforeKey NonceCheck = "before-key"
	NonceAfterKey  NonceCheck = "after-key"
)

// NonceRecord says when a nonce is recorded as used.
type NonceRecord string

// The two recording points (docs/protocol.md §4.2 step 7).
const (
	// RecordAfterSignature records a nonce once its request's signature has
	// passed, so a forged request cannot burn a client's nonce.
	RecordAfterSignature NonceRecord = "after-signature"
	// RecordOnArrival records it as soon as it is checked.
	RecordOnArrival NonceRecord = "on-arrival"
)

// MethodCase says how SignatureMethod is compared (docs/protocol.md §7.2).
type MethodCase string

// Strict accepts only "HMAC-SHA1"; Insensitive also the samples' "Hmac-SHA1".
const (
	MethodStrict      MethodCase = "strict"
	MethodInsensitive MethodCase = "insensitive"
)

// Config is everything that shapes the gateway's behaviour. Every [INF]
// choice of the spec is a field here, settable from `acsharness serve`'s
// flags and config file (whose keys are the flags' names). The zero value
// of a field means its default.
type Config struct {
	// Product pins every request to one product (its code or alias),
	// whatever the Host; "" routes by Host, then by version.
	Product string
	// EndpointSuffixes are a private cloud's own domain suffixes, served
	// beside each product's (aliyuncs.com): "<code>[-vpc].<region>.<suffix>"
	// routes to the product (docs/protocol.md §6).
	EndpointSuffixes []string
	// Regions are region IDs served by every product beyond its region
	// table (a private cloud's own); a Host naming any other region is
	// InvalidProduct.NotFound.
	Regions []string
	// Skew is the clock-skew window, in both directions (docs/protocol.md §4.1).
	Skew time.Duration
	// NonceRetention is how long a nonce stays used (docs/protocol.md §4.1: 31 minutes).
	NonceRetention time.Duration
	// NonceCapacity bounds the live nonces held; when full, new requests get
	// 503 ServiceUnavailable. 0 means 4,000,000.
	NonceCapacity int
	// NonceCheck orders the nonce check before or after the key lookup.
	NonceCheck NonceCheck
	// NonceRecord says when a nonce is recorded.
	NonceRecord NonceRecord
	// SignatureMethodCase compares SignatureMethod strictly or not.
	SignatureMethodCase MethodCase
	// MismatchCode is answered for a wrong signature: SignatureDoesNotMatch
	// or IncompleteSignature (docs/protocol.md §4).
	MismatchCode string
	// MismatchCodes overrides MismatchCode per product code: in every
	// capture the choice follows the product (docs/protocol.md §9 F13).
	MismatchCodes map[string]string
	// KeyNotFoundCode is answered for an unknown AccessKeyId:
	// InvalidAccessKeyId.NotFound (404, the default) or the short
	// InvalidAccessKeyId (400), both seen in 2020–2025 (docs/protocol.md §9 F5).
	KeyNotFoundCode string
	// ZonelessTimestamp says how an RPC Timestamp or V3 x-acs-date without
	// a zone ("2018-03-03T07:18:56.401842") is read: "utc" (the default; a
	// real gateway took one to the signature check, docs/protocol.md §9 F2) or
	// "refuse" (InvalidTimeStamp.Format).
	ZonelessTimestamp string
	// DefaultFormats maps a product code to its response format when an RPC
	// request names none; a product absent here uses its profile's default
	// (MQTT XML, RabbitMQ JSON).
	DefaultFormats map[string]string
	// ROADefaultFormat is the format of ROA and V3 responses without a
	// usable Accept header: JSON, XML, or "product" for the product's.
	ROADefaultFormat string
	// TimestampOffsets accepts RPC Timestamp and V3 x-acs-date values with a
	// numeric UTC offset; by default only "Z" times are well formatted.
	TimestampOffsets bool
	// RateLimit is the per-key request rate (per second) above which
	// requests get Throttling.User; 0 disables it.
	RateLimit float64
	// RateBurst is the per-key burst; 0 means max(1, RateLimit).
	RateBurst int
	// MissingParameterStyle reports an absent business parameter as
	// MissingParameter (plain), MissingParameter.<Name> (dotted) or
	// Missing<Name> (named).
	MissingParameterStyle MissingStyle
	// VerifyContentMD5 rejects a ROA request whose Content-MD5 does not match
	// its body; by default the header is only signed, as on the real gateway.
	VerifyContentMD5 bool
	// MaxHeaderBytes, MaxBodyBytes and MaxParams bound what a request may
	// carry; beyond them it gets a 4xx envelope.
	MaxHeaderBytes int
	MaxBodyBytes   int64
	MaxParams      int
	// BodyTimeout bounds the time a request's body may take to arrive once
	// its headers have; beyond it the request gets 408 RequestTimeout. It
	// is shorter than WriteTimeout, so that the answer can still be
	// written to a client that trickles its body or stops mid-chunk.
	BodyTimeout time.Duration
	// WriteTimeout bounds a request from its headers to the end of its
	// answer.
	WriteTimeout time.Duration

	// Products are the profiles served; nil means product.Builtin().
	Products []product.Profile
	// Keys are the AccessKeys known; nil means DemoKeys().
	Keys []Key
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AccessLog, when set, receives one line per request, written off the
	// request path in batches (see AccessLog); `acsharness serve` uses it.
	AccessLog *AccessLog
	// Logger receives the gateway's own errors (a recovered panic) and,
	// when AccessLog is nil, one access-log record per request, formatted
	// and written on the request path; nil logs nothing.
	Logger *slog.Logger
	// Registerer receives the gateway's metrics; nil keeps them in the
	// gateway's own registry (see Gateway.Registry).
	Registerer prometheus.Registerer
	// Faults start the gateway with deliberate deviations, for the
	// self-test; never set by `acsharness serve`.
	Faults []Fault
}

// Defaults of the settings.
const (
	DefaultSkew           = 15 * time.Minute
	DefaultNonceRetention = 31 * time.Minute
	DefaultNonceCapacity  = 4_000_000
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxParams      = 512
	DefaultBodyTimeout    = 20 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
)

// withDefaults fills the zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	if c.Skew == 0 {
		c.Skew = DefaultSkew
	}
	if c.NonceRetention == 0 {
		c.NonceRetention = DefaultNonceRetention
	}
	if c.NonceCapacity == 0 {
		c.NonceCapacity = DefaultNonceCapacity
	}
	if c.NonceCheck == "" {
		c.NonceCheck = NonceBeforeKey
	}
	if c.NonceRecord == "" {
		c.NonceRecord = RecordAfterSignature
	}
	if c.SignatureMethodCase == "" {
		c.SignatureMethodCase = MethodStrict
	}
	if c.MismatchCode == "" {
		c.MismatchCode = CodeSignatureDoesNotMatch
	}
	if c.KeyNotFoundCode == "" {
		c.KeyNotFoundCode = CodeKeyNotFound
	}
	if c.ZonelessTimestamp == "" {
		c.ZonelessTimestamp = ZonelessUTC
	}
	if c.ROADefaultFormat == "" {
		c.ROADefaultFormat = FormatJSON
	}
	if c.MissingParameterStyle == "" {
		c.MissingParameterStyle = MissingPlain
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxParams == 0 {
		c.MaxParams = DefaultMaxParams
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Products == nil {
		c.Products = product.Builtin()
	}
	if len(c.Regions) > 0 {
		// Each product serves the extra regions too, in a copy of its
		// profile: the caller's profiles are left as they are.
		ps := make([]product.Profile, len(c.Products))
		for i, p := range c.Products {
			p.Regions = slices.Clone(p.Regions)
			for _, id := range c.Regions {
				if _, err := p.Region(id); err != nil {
					p.Regions = append(p.Regions, product.Region{Name: id, ID: id})
				}
			}
			ps[i] = p
		}
		c.Products = ps
	}
	if c.Keys == nil {
		c.Keys = DemoKeys()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	var bad []string
	check := func(ok bool, format string, a ...any) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, a...))
		}
	}
	check(c.Skew > 0, "skew %v: must be positive", c.Skew)
	check(c.NonceRetention > 0, "nonce_retention %v: must be positive", c.NonceRetention)
	check(c.NonceCapacity > 0, "nonce_capacity %d: must be positive", c.NonceCapacity)
	check(c.NonceCheck == NonceBeforeKey || c.NonceCheck == NonceAfterKey, "nonce_check %q: use before-key or after-key", c.NonceCheck)
	check(c.NonceRecord == RecordAfterSignature || c.NonceRecord == RecordOnArrival, "nonce_record %q: use after-signature or on-arrival", c.NonceRecord)
	check(c.SignatureMethodCase == MethodStrict || c.SignatureMethodCase == MethodInsensitive, "signature_method_case %q: use strict or insensitive", c.SignatureMethodCase)
	check(c.MismatchCode == CodeSignatureDoesNotMatch || c.MismatchCode == CodeIncompleteSignature, "mismatch_code %q: use SignatureDoesNotMatch or IncompleteSignature", c.MismatchCode)
	for code, v := range c.MismatchCodes {
		_, err := product.Find(c.Products, code)
		check(err == nil, "mismatch_codes: %v", err)
		check(v == CodeSignatureDoesNotMatch || v == CodeIncompleteSignature, "mismatch_codes[%s] %q: use SignatureDoesNotMatch or IncompleteSignature", code, v)
	}
	check(c.KeyNotFoundCode == CodeKeyNotFound || c.KeyNotFoundCode == CodeKeyInvalid,
		"key_not_found_code %q: use %s or %s", c.KeyNotFoundCode, CodeKeyNotFound, CodeKeyInvalid)
	check(c.ZonelessTimestamp == ZonelessUTC || c.ZonelessTimestamp == ZonelessRefuse,
		"zoneless_timestamp %q: use %s or %s", c.ZonelessTimestamp, ZonelessUTC, ZonelessRefuse)
	f := strings.ToUpper(c.ROADefaultFormat)
	check(f == FormatJSON || f == FormatXML || f == "PRODUCT", "roa_default_format %q: use JSON, XML or product", c.ROADefaultFormat)
	c.ROADefaultFormat = f
	for code, v := range c.DefaultFormats {
		_, err := product.Find(c.Products, code)
		check(err == nil, "default_formats: %v", err)
		v = strings.ToUpper(v)
		check(v == FormatJSON || v == FormatXML, "default_formats[%s] %q: use JSON or XML", code, v)
	}
	check(c.RateLimit >= 0, "rate_limit %v: must not be negative", c.RateLimit)
	check(c.MissingParameterStyle == MissingPlain || c.MissingParameterStyle == MissingDotted || c.MissingParameterStyle == MissingNamed,
		"missing_parameter_style %q: use plain, dotted or named", c.MissingParameterStyle)
	check(c.MaxHeaderBytes > 0 && c.MaxBodyBytes > 0 && c.MaxParams > 0, "max_header_bytes, max_body_bytes and max_params must be positive")
	check(c.BodyTimeout > 0 && c.BodyTimeout < c.WriteTimeout,
		"body_timeout %v must be positive and shorter than write_timeout %v, so that a slow body still gets its answer", c.BodyTimeout, c.WriteTimeout)
	if c.Product != "" {
		_, err := product.Find(c.Products, c.Product)
		check(err == nil, "product: %v", err)
	}
	check(len(c.Keys) > 0, "no keys: give at least one")
	for _, suffix := range c.EndpointSuffixes {
		check(strings.Contains(strings.Trim(suffix, "."), ".") && !strings.ContainsAny(suffix, "/: "),
			"endpoint_suffix %q: give a domain such as cloud.example.com", suffix)
	}
	for _, id := range c.Regions {
		check(id != "" && !strings.ContainsAny(id, "./: "), "region %q: give a region ID such as cn-hangzhou", id)
	}
	for _, f := range c.Faults {
		check(knownFault(f), "unknown fault %q", f)
	}
	if len(bad) > 0 {
		return c, fmt.Errorf("gateway config: %s", strings.Join(bad, "; "))
	}
	return c, nil
}

// The readings of a zoneless timestamp (Config.ZonelessTimestamp).
const (
	ZonelessUTC    = "utc"
	ZonelessRefuse = "refuse"
)

// mismatchCode returns the code of a wrong signature for product p.
func (c *Config) mismatchCode(p *product.Profile) string {
	if p != nil {
		for code, v := range c.MismatchCodes {
			if strings.EqualFold(code, p.Code) || slices.ContainsFunc(p.Aliases, func(a string) bool { return strings.EqualFold(a, code) }) {
				return v
			}
		}
	}
	return c.MismatchCode
}

// defaultFormat returns the RPC default response format of p.
func (c *Config) defaultFormat(p *product.Profile) string {
	if p == nil {
		return FormatJSON
	}
	for code, v := range c.DefaultFormats {
		if strings.EqualFold(code, p.Code) {
			return strings.ToUpper(v)
		}
	}
	if strings.EqualFold(p.DefaultFormat, FormatXML) {
		return FormatXML
	}
	return FormatJSON
}
