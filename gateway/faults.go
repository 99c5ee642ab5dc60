package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/product"
	"github.com/acsharness/acsharness/signature"
)

// Fault is a deliberate deviation the gateway can be started with: one
// small mistake a real gateway could make. Faults exist so that the
// conformance suite can prove it catches them (`acsharness selftest`);
// `acsharness serve` never sets one.
type Fault string

// The fault catalogue, by the category of scenario meant to catch each.
// Each changes one behaviour, and names the rules of scenarios/rules.yaml
// it breaks (see faultCatalogue).
const (
	// signature
	FaultSkipSignature       Fault = "skip-signature"        // accepts any signature, every style
	FaultSignaturePrefix     Fault = "signature-prefix"      // compares only the first 8 characters of a signature
	FaultRPCIgnoreForm       Fault = "rpc-ignore-form"       // RPC: leaves form-body parameters out of the string to sign
	FaultRPCDropEmpty        Fault = "rpc-drop-empty"        // RPC: leaves empty-valued parameters out of the canonical query
	FaultRPCFoldSort         Fault = "rpc-fold-sort"         // RPC: sorts names case-insensitively
	FaultRPCKeyNoAmpersand   Fault = "rpc-key-no-ampersand"  // RPC: keys the HMAC with the bare secret, without "&"
	FaultRPCSignsHeaders     Fault = "rpc-signs-acs-headers" // RPC: puts the x-acs-* headers into the string to sign
	FaultMethodUnsigned      Fault = "method-unsigned"       // RPC: accepts a signature made for the other method
	FaultROASkipACSHeaders   Fault = "roa-skip-acs-headers"  // ROA: leaves the x-acs-* headers out of the string to sign
	FaultROAKeyAmpersand     Fault = "roa-key-ampersand"     // ROA: keys the HMAC with secret+"&", as RPC does
	FaultROAAcceptNormalized Fault = "roa-accept-normalized" // ROA: signs Accept as application/json whatever was sent
	FaultROAOneForm          Fault = "roa-one-form"          // ROA: accepts only the spec's form (bare k, decoded path)
	FaultV3UnsignedHeaders   Fault = "v3-unsigned-headers"   // V3: accepts x-acs-* headers missing from SignedHeaders
	FaultV3SkipBodyHash      Fault = "v3-skip-body-hash"     // V3: never checks x-acs-content-sha256 against the body
	FaultV3EmptyPayloadHash  Fault = "v3-empty-payload-hash" // V3: canonicalizes every request as if its body were empty
	FaultV3AnyAlgorithm      Fault = "v3-any-algorithm"      // V3: takes any algorithm in Authorization for ACS3-HMAC-SHA256
	FaultNoStringToSign      Fault = "no-string-to-sign"     // SignatureDoesNotMatch without the server string to sign
	FaultMismatchMessage     Fault = "mismatch-message"      // RPC/ROA: another SignatureDoesNotMatch text before the marker
	FaultV3MismatchRPCForm   Fault = "v3-mismatch-rpc-form"  // V3: the mismatch message in the RPC form
	FaultV3EchoCanonical     Fault = "v3-echo-canonical"     // V3: echoes the canonical request where the string to sign goes
	FaultSTSTokenUnsigned    Fault = "sts-token-unsigned"    // RPC: leaves SecurityToken out of the string to sign
	FaultSTSStoredToken      Fault = "sts-stored-token"      // RPC: signs the key's stored session token, not the one sent
	// encoding
	FaultPlusLiteral        Fault = "plus-literal"         // decodes '+' in the query as '+', not a space
	FaultTildeEncoded       Fault = "tilde-encoded"        // RPC: encodes '~' as %7E in the canonical query
	FaultStarLiteral        Fault = "star-literal"         // RPC: leaves '*' unencoded in the canonical query
	FaultROAEncodedResource Fault = "roa-encoded-resource" // ROA: percent-encodes the canonical resource's values
	FaultMalformed500       Fault = "malformed-500"        // a malformed percent-escape answered 500 InternalError
	FaultMalformedHangup    Fault = "malformed-hangup"     // a malformed percent-escape gets no answer: the connection is cut
	FaultMalformedMessage   Fault = "malformed-message"    // a malformed escape answered RequestParameterMalformed with another text
	// timestamp
	FaultWideSkew         Fault = "wide-skew"         // accepts times up to 60 minutes off
	FaultFutureOK         Fault = "future-ok"         // accepts any time in the future
	FaultLenientTimestamp Fault = "lenient-timestamp" // takes an unparseable time as now
	FaultTimeStampAlias   Fault = "timestamp-alias"   // accepts the misspelt TimeStamp for Timestamp
	FaultNoFraction       Fault = "no-fraction"       // refuses a Timestamp with fractional seconds as badly formatted
	FaultROADateOptional  Fault = "roa-date-optional" // ROA: a request without Date is taken as sent now
	// nonce
	FaultForgetNonces     Fault = "forget-nonces"      // never records a nonce
	FaultPerKeyNonces     Fault = "per-key-nonces"     // keeps nonces per AccessKey, not network-wide
	FaultNonceRace        Fault = "nonce-race"         // checks and records a nonce in two steps, so racing copies pass
	FaultEmptyNonceOK     Fault = "empty-nonce-ok"     // accepts an empty SignatureNonce
	FaultROANonceNoted    Fault = "roa-nonce-unused"   // ROA and V3: never checks x-acs-signature-nonce
	FaultNonceLRU         Fault = "nonce-lru"          // remembers only the 64 most recent nonces, not 31 minutes of them
	FaultROANonceRequired Fault = "roa-nonce-required" // ROA: refuses a request without x-acs-signature-nonce
	FaultV3NonceOptional  Fault = "v3-nonce-optional"  // V3: a request without x-acs-signature-nonce is accepted
	// envelope
	FaultDropRecommend      Fault = "drop-recommend"           // error bodies lack Recommend
	FaultGarbageRecommend   Fault = "garbage-recommend"        // Recommend is a link of no troubleshooting form
	FaultDropHostID         Fault = "drop-hostid"              // error bodies lack HostId
	FaultConstantHostID     Fault = "constant-hostid"          // HostId is always pop.aliyuncs.com, whatever the host
	FaultDropMessage        Fault = "drop-message"             // error bodies lack Message
	FaultJSONForXML         Fault = "json-for-xml"             // answers JSON when XML was asked
	FaultDefaultJSON        Fault = "default-json"             // RPC without Format answers JSON, whatever the product's default
	FaultLowercaseRequestID Fault = "lowercase-request-id"     // RequestId in lowercase
	FaultRequestIDHeader    Fault = "request-id-header"        // x-acs-request-id differs from the body's RequestId
	FaultRepeatedRequestID  Fault = "repeated-request-id"      // every response carries the same RequestId
	FaultXMLRoot            Fault = "xml-root"                 // success XML rooted at <Response>, not <{Action}Response>
	FaultXMLErrorRoot       Fault = "xml-error-root"           // error XML rooted at <Response>, not <Error>
	FaultXMLUnescaped       Fault = "xml-unescaped"            // error XML written without escaping & and <
	FaultContentType        Fault = "content-type"             // JSON answered as "application/json" without the charset
	FaultJettyContentType   Fault = "jetty-content-type"       // JSON answered as "application/json; charset=UTF-8"
	FaultJSONTextPlain      Fault = "json-text-plain"          // JSON answered as text/plain
	FaultXMLContentType     Fault = "xml-success-content-type" // XML successes answered as application/octet-stream
	FaultXMLErrorType       Fault = "xml-error-content-type"   // XML errors answered as application/xml
	FaultSortedErrorFields  Fault = "sorted-error-fields"      // JSON error fields in alphabetical order
	FaultDropTraceID        Fault = "drop-trace-id"            // no x-acs-trace-id header
	FaultDropCORS           Fault = "drop-cors"                // no Access-Control-Allow-Origin header
	FaultDropExpose         Fault = "drop-expose-headers"      // no Access-Control-Expose-Headers header
	FaultNoPreflight        Fault = "no-preflight"             // a CORS preflight is taken for an API request
	FaultErrorsAs200        Fault = "errors-as-200"            // errors answered with HTTP 200
	// parameters
	FaultNotFoundAs400       Fault = "notfound-as-400"         // an unknown AccessKeyId answered 400, not 404
	FaultUnknownKeyMismatch  Fault = "unknown-key-mismatch"    // an unknown AccessKeyId answered SignatureDoesNotMatch
	FaultShortKeyMessage     Fault = "short-key-message"       // an unknown AccessKeyId answered the short InvalidAccessKeyId with another text
	FaultInactiveKeyOK       Fault = "inactive-key-ok"         // accepts a disabled AccessKey
	FaultMissingVersionOK    Fault = "missing-version-ok"      // an absent Version means the product's
	FaultFoldParamNames      Fault = "fold-param-names"        // matches common parameter names in any case
	FaultAnyMethod           Fault = "any-method"              // RPC accepts any HTTP method
	FaultStrictFormatCase    Fault = "strict-format-case"      // rejects a lowercase Format=json
	FaultAnyFormat           Fault = "any-format"              // takes a Format other than JSON or XML for JSON
	FaultAnySignatureMethod  Fault = "any-signature-method"    // accepts any SignatureMethod and SignatureVersion
	FaultAnyVersion          Fault = "any-version"             // serves any API version as the product's
	FaultActionFoldCase      Fault = "action-case-insensitive" // finds actions in any case
	FaultRouteAnyMethod      Fault = "route-any-method"        // ROA: routes a path whatever the method
	FaultAnyHost             Fault = "any-host"                // routes an unknown domain by its API version
	FaultV3DefaultCredential Fault = "v3-default-credential"   // V3: a request without a Credential is checked against the first key
	FaultNoThrottling        Fault = "no-throttling"           // never throttles
	FaultNoRetryAfter        Fault = "no-retry-after"          // Throttling.User without x-acs-retry-after or x-ratelimit-user
	FaultStrictParams        Fault = "strict-params"           // refuses RegionId, ResourceOwnerAccount and SignatureType
	FaultSkipBusinessCheck   Fault = "skip-business-check"     // never checks an action's required parameters
	FaultSTSTokenUnchecked   Fault = "sts-token-unchecked"     // never checks a session token against its key
)

// FaultInfo describes a fault for the self-test's matrix: what it does and
// the rules of scenarios/rules.yaml it breaks.
type FaultInfo struct {
	Fault    Fault
	Category string
	About    string
	Rules    []string
}

// Faults lists every fault, in catalogue order: the faults above, then one
// per error message (message-*) that changes that message's text.
func Faults() []FaultInfo {
	out := slices.Clone(faultCatalogue)
	for _, m := range messageFaults {
		out = append(out, FaultInfo{m.fault, "envelope", "answers " + m.what + " with another message", []string{m.rule}})
	}
	return out
}

var faultCatalogue = []FaultInfo{
	{FaultSkipSignature, "signature", "accepts any signature, every style", []string{"sig.mismatch.refused"}},
	{FaultSignaturePrefix, "signature", "compares only the first 8 characters of a signature", []string{"sig.mismatch.refused"}},
	{FaultRPCIgnoreForm, "signature", "RPC: leaves form-body parameters out of the string to sign", []string{"sig.rpc.form"}},
	{FaultRPCDropEmpty, "signature", "RPC: leaves empty-valued parameters out of the canonical query", []string{"sig.rpc.empty-value"}},
	{FaultRPCFoldSort, "signature", "RPC: sorts parameter names case-insensitively", []string{"sig.rpc.sort"}},
	{FaultRPCKeyNoAmpersand, "signature", `RPC: keys the HMAC with the bare secret, without "&"`, []string{"sig.rpc.valid"}},
	{FaultRPCSignsHeaders, "signature", "RPC: puts the x-acs-* headers into the string to sign", []string{"sig.rpc.headers-unsigned"}},
	{FaultMethodUnsigned, "signature", "RPC: accepts a signature made for the other method", []string{"sig.method"}},
	{FaultROASkipACSHeaders, "signature", "ROA: leaves the x-acs-* headers out of the string to sign", []string{"sig.roa.acs-headers"}},
	{FaultROAKeyAmpersand, "signature", `ROA: keys the HMAC with secret+"&", as RPC does`, []string{"sig.roa.valid"}},
	{FaultROAAcceptNormalized, "signature", "ROA: signs Accept as application/json whatever was sent", []string{"sig.roa.standard-headers"}},
	{FaultROAOneForm, "signature", "ROA: accepts only the spec's form (bare k, decoded path), not the other official clients'", []string{"sig.roa.forms"}},
	{FaultV3UnsignedHeaders, "signature", "V3: accepts x-acs-* headers missing from SignedHeaders", []string{"sig.v3.signed-headers"}},
	{FaultV3SkipBodyHash, "signature", "V3: never checks x-acs-content-sha256 against the body", []string{"sig.v3.body-hash"}},
	{FaultV3EmptyPayloadHash, "signature", "V3: canonicalizes every request as if its body were empty", []string{"sig.v3.valid"}},
	{FaultV3AnyAlgorithm, "signature", "V3: takes any algorithm in Authorization for ACS3-HMAC-SHA256", []string{"sig.v3.algorithm"}},
	{FaultNoStringToSign, "signature", "SignatureDoesNotMatch without the server string to sign", []string{"sig.mismatch.echo"}},
	{FaultMismatchMessage, "signature", "RPC/ROA: another SignatureDoesNotMatch text before the marker", []string{"sig.mismatch.message"}},
	{FaultV3MismatchRPCForm, "signature", "V3: the mismatch message in the RPC form", []string{"sig.mismatch.message"}},
	{FaultV3EchoCanonical, "signature", "V3: echoes the canonical request where the string to sign goes", []string{"sig.mismatch.echo-v3"}},
	{FaultSTSTokenUnsigned, "signature", "RPC: leaves SecurityToken out of the string to sign", []string{"sts.valid"}},
	{FaultSTSStoredToken, "signature", "RPC: signs the key's stored session token, not the one sent", []string{"sts.signed"}},
	{FaultPlusLiteral, "encoding", "decodes '+' in the query as '+', not a space", []string{"enc.decode"}},
	{FaultTildeEncoded, "encoding", "RPC: encodes '~' as %7E in the canonical query", []string{"enc.percent"}},
	{FaultStarLiteral, "encoding", "RPC: leaves '*' unencoded in the canonical query", []string{"enc.percent"}},
	{FaultROAEncodedResource, "encoding", "ROA: percent-encodes the canonical resource's values", []string{"sig.roa.resource"}},
	{FaultMalformed500, "encoding", "a malformed percent-escape answered 500 InternalError", []string{"enc.malformed"}},
	{FaultMalformedHangup, "encoding", "a malformed percent-escape gets no answer: the connection is cut", []string{"http.answer"}},
	{FaultMalformedMessage, "encoding", "a malformed escape answered RequestParameterMalformed with another text", []string{"err.malformed-escape"}},
	{FaultWideSkew, "timestamp", "accepts times up to 60 minutes off", []string{"ts.window"}},
	{FaultFutureOK, "timestamp", "accepts any time in the future", []string{"ts.window"}},
	{FaultLenientTimestamp, "timestamp", "takes an unparseable time as now", []string{"ts.format", "ts.roa-date"}},
	{FaultTimeStampAlias, "timestamp", "accepts the misspelt TimeStamp for Timestamp", []string{"param.case-sensitive"}},
	{FaultNoFraction, "timestamp", "refuses a Timestamp with fractional seconds as badly formatted", []string{"ts.fraction"}},
	{FaultROADateOptional, "timestamp", "ROA: a request without Date is taken as sent now", []string{"param.roa-date"}},
	{FaultForgetNonces, "nonce", "never records a nonce", []string{"nonce.replay", "nonce.network-wide", "nonce.atomic", "nonce.empty", "nonce.retention"}},
	{FaultPerKeyNonces, "nonce", "keeps nonces per AccessKey, not network-wide", []string{"nonce.network-wide"}},
	{FaultNonceRace, "nonce", "checks and records a nonce in two steps, so racing copies pass", []string{"nonce.atomic"}},
	{FaultEmptyNonceOK, "nonce", "accepts an empty SignatureNonce", []string{"nonce.empty"}},
	{FaultROANonceNoted, "nonce", "ROA and V3: never check x-acs-signature-nonce", []string{"nonce.replay", "nonce.network-wide"}},
	{FaultNonceLRU, "nonce", "remembers only the 64 most recent nonces, not 31 minutes of them", []string{"nonce.retention"}},
	{FaultROANonceRequired, "nonce", "ROA: refuses a request without x-acs-signature-nonce", []string{"nonce.roa-optional"}},
	{FaultV3NonceOptional, "nonce", "V3: a request without x-acs-signature-nonce is accepted", []string{"param.v3-headers"}},
	{FaultDropRecommend, "envelope", "error bodies lack Recommend", []string{"env.error.recommend"}},
	{FaultGarbageRecommend, "envelope", "Recommend is a link of no troubleshooting form", []string{"env.error.recommend"}},
	{FaultDropHostID, "envelope", "error bodies lack HostId", []string{"env.error.host-id"}},
	{FaultConstantHostID, "envelope", "HostId is always pop.aliyuncs.com, whatever the host", []string{"env.error.host-id"}},
	{FaultDropMessage, "envelope", "error bodies lack Message", []string{"env.error.fields"}},
	{FaultJSONForXML, "envelope", "answers JSON when XML was asked", []string{"env.format.rpc", "env.format.accept"}},
	{FaultDefaultJSON, "envelope", "RPC without Format answers JSON, whatever the product's default", []string{"env.format.rpc-default"}},
	{FaultLowercaseRequestID, "envelope", "RequestId in lowercase", []string{"env.request-id.shape"}},
	{FaultRequestIDHeader, "envelope", "x-acs-request-id differs from the body's RequestId", []string{"env.request-id"}},
	{FaultRepeatedRequestID, "envelope", "every response carries the same RequestId", []string{"env.request-id.unique"}},
	{FaultXMLRoot, "envelope", "success XML rooted at <Response>, not <{Action}Response>", []string{"env.success.xml-root"}},
	{FaultXMLErrorRoot, "envelope", "error XML rooted at <Response>, not <Error>", []string{"env.error.xml-root"}},
	{FaultXMLUnescaped, "envelope", "error XML written without escaping & and <", []string{"env.body"}},
	{FaultContentType, "envelope", `JSON answered as "application/json" without the charset`, []string{"env.content-type.exact"}},
	{FaultJettyContentType, "envelope", `JSON answered as "application/json; charset=UTF-8" (the Jetty-era form)`, []string{"env.content-type.exact"}},
	{FaultJSONTextPlain, "envelope", "JSON answered as text/plain", []string{"env.content-type.json"}},
	{FaultXMLContentType, "envelope", "XML successes answered as application/octet-stream", []string{"env.content-type.xml"}},
	{FaultXMLErrorType, "envelope", "XML errors answered as application/xml", []string{"env.content-type.xml-error"}},
	{FaultSortedErrorFields, "envelope", "JSON error fields in alphabetical order", []string{"env.error.json-order"}},
	{FaultDropTraceID, "envelope", "no x-acs-trace-id header", []string{"env.trace-id"}},
	{FaultDropCORS, "envelope", "no Access-Control-Allow-Origin header", []string{"env.cors"}},
	{FaultDropExpose, "envelope", "no Access-Control-Expose-Headers header", []string{"env.cors.expose"}},
	{FaultNoPreflight, "envelope", "a CORS preflight is taken for an API request", []string{"env.cors.preflight"}},
	{FaultErrorsAs200, "envelope", "errors answered with HTTP 200", []string{"env.error.status"}},
	{FaultNotFoundAs400, "parameters", "an unknown AccessKeyId answered 400, not 404", []string{"err.key-not-found"}},
	{FaultUnknownKeyMismatch, "parameters", "an unknown AccessKeyId answered SignatureDoesNotMatch", []string{"param.key-not-found"}},
	{FaultShortKeyMessage, "parameters", "an unknown AccessKeyId answered the short InvalidAccessKeyId with another text", []string{"err.key-invalid"}},
	{FaultInactiveKeyOK, "parameters", "accepts a disabled AccessKey", []string{"param.key-inactive"}},
	{FaultMissingVersionOK, "parameters", "an absent Version means the product's", []string{"param.missing-common"}},
	{FaultFoldParamNames, "parameters", "matches common parameter names in any case", []string{"param.case-sensitive"}},
	{FaultAnyMethod, "parameters", "RPC accepts any HTTP method", []string{"param.method"}},
	{FaultStrictFormatCase, "parameters", "rejects a lowercase Format=json", []string{"param.format"}},
	{FaultAnyFormat, "parameters", "takes a Format other than JSON or XML for JSON", []string{"param.format"}},
	{FaultAnySignatureMethod, "parameters", "accepts any SignatureMethod and SignatureVersion", []string{"param.signature-method"}},
	{FaultAnyVersion, "parameters", "serves any API version as the product's", []string{"param.version"}},
	{FaultActionFoldCase, "parameters", "finds actions in any case", []string{"param.action"}},
	{FaultRouteAnyMethod, "parameters", "ROA: routes a path whatever the method", []string{"param.route"}},
	{FaultAnyHost, "parameters", "routes an unknown domain by its API version", []string{"param.product"}},
	{FaultV3DefaultCredential, "parameters", "V3: a request without a Credential is checked against the first key", []string{"param.v3-credential"}},
	{FaultNoThrottling, "parameters", "never throttles", []string{"param.throttling"}},
	{FaultNoRetryAfter, "parameters", "Throttling.User without x-acs-retry-after or x-ratelimit-user", []string{"param.throttling-retry"}},
	{FaultStrictParams, "parameters", "refuses RegionId, ResourceOwnerAccount and SignatureType", []string{"param.unknown-ignored"}},
	{FaultSkipBusinessCheck, "parameters", "never checks an action's required parameters", []string{"param.business"}},
	{FaultSTSTokenUnchecked, "parameters", "never checks a session token against its key", []string{"sts.token"}},
}

// messageFaults change the text of one error's message, the code and the
// status kept: one fault per rule of the error forms (err.* rules).
var messageFaults = []struct {
	fault Fault
	what  string
	rule  string
	match func(code string) bool
}{
	{"message-missing-common", "Missing<Name>", "err.missing-common", func(c string) bool {
		return strings.HasPrefix(c, "Missing") && !strings.HasPrefix(c, CodeMissingParameter)
	}},
	{"message-missing-parameter", "MissingParameter", "err.missing-parameter", func(c string) bool { return strings.HasPrefix(c, CodeMissingParameter) }},
	{"message-key-not-found", CodeKeyNotFound, "err.key-not-found", codeIs(CodeKeyNotFound)},
	{"message-key-inactive", CodeKeyInactive, "err.key-inactive", codeIs(CodeKeyInactive)},
	{"message-timestamp-format", CodeTimestampFormat, "err.timestamp-format", codeIs(CodeTimestampFormat)},
	{"message-timestamp-expired", CodeTimestampExpired, "err.timestamp-expired", codeIs(CodeTimestampExpired)},
	{"message-nonce-used", CodeNonceUsed, "err.nonce-used", codeIs(CodeNonceUsed)},
	{"message-invalid-version", CodeInvalidVersion, "err.invalid-version", codeIs(CodeInvalidVersion)},
	{"message-invalid-action", CodeInvalidAction, "err.invalid-action", codeIs(CodeInvalidAction)},
	{"message-invalid-product", CodeInvalidProduct, "err.invalid-product", codeIs(CodeInvalidProduct)},
	{"message-invalid-format", CodeInvalidFormat, "err.invalid-format", codeIs(CodeInvalidFormat)},
	{"message-invalid-signature-method", CodeInvalidSignatureMethod, "err.invalid-signature-method", codeIs(CodeInvalidSignatureMethod)},
	{"message-unsupported-method", CodeUnsupportedHTTPMethod, "err.unsupported-method", codeIs(CodeUnsupportedHTTPMethod)},
	{"message-throttling-user", CodeThrottlingUser, "err.throttling-user", codeIs(CodeThrottlingUser)},
}

func codeIs(want string) func(string) bool { return func(c string) bool { return c == want } }

// changedMessage is the text a message fault answers code with, and
// whether one of them is on for it.
func (s faultSet) changedMessage(code string) (string, bool) {
	if !s.any {
		return "", false
	}
	for _, m := range messageFaults {
		if s.on[m.fault] && m.match(code) {
			return "The request is not valid.", true
		}
	}
	return "", false
}

func knownFault(f Fault) bool {
	for _, fi := range Faults() {
		if fi.Fault == f {
			return true
		}
	}
	return false
}

// faultSet answers "is this fault on?" cheaply; the zero value has none.
type faultSet struct {
	any bool
	on  map[Fault]bool
}

func newFaultSet(fs []Fault) faultSet {
	s := faultSet{on: map[Fault]bool{}}
	for _, f := range fs {
		s.on[f], s.any = true, true
	}
	return s
}

func (s faultSet) has(f Fault) bool { return s.any && s.on[f] }

// faultyRPCStringToSign builds the RPC string to sign the way a gateway
// with one of the RPC canonicalization faults would.
func faultyRPCStringToSign(fs faultSet, method string, params signature.Params) string {
	p := params.Without(signature.ParamSignature)
	if fs.has(FaultRPCDropEmpty) {
		kept := p[:0]
		for _, q := range p {
			if q.Value != "" {
				kept = append(kept, q)
			}
		}
		p = kept
	}
	if fs.has(FaultRPCFoldSort) {
		slices.SortStableFunc(p, func(a, b signature.Param) int { return strings.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key)) })
	} else {
		p = p.Sorted()
	}
	enc := func(s string) string {
		e := signature.PercentEncode(s)
		if fs.has(FaultTildeEncoded) {
			e = strings.ReplaceAll(e, "~", "%7E")
		}
		if fs.has(FaultStarLiteral) {
			e = strings.ReplaceAll(e, "%2A", "*")
		}
		return e
	}
	var cq strings.Builder
	for i, q := range p {
		if i > 0 {
			cq.WriteByte('&')
		}
		cq.WriteString(enc(q.Key) + "=" + enc(q.Value))
	}
	return method + "&%2F&" + signature.PercentEncode(cq.String())
}

// hmacSHA1Base64 signs s with key, as RPC and ROA do.
func hmacSHA1Base64(key, s string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// rpcCanonicalFaulty reports whether an RPC canonicalization fault is on.
func (s faultSet) rpcCanonicalFaulty() bool {
	return s.has(FaultRPCDropEmpty) || s.has(FaultRPCFoldSort) || s.has(FaultTildeEncoded) || s.has(FaultStarLiteral) ||
		s.has(FaultRPCKeyNoAmpersand) || s.has(FaultRPCSignsHeaders) || s.has(FaultSTSTokenUnsigned)
}

// faultyError is e as the error faults change it.
func (g *Gateway) faultyError(c *call, e *apiError) *apiError {
	if g.faults.has(FaultErrorsAs200) {
		e = &apiError{http.StatusOK, e.Code, e.Message}
	}
	i := strings.Index(e.Message, StringToSignMarker)
	switch {
	case i >= 0 && g.faults.has(FaultNoStringToSign):
		e = &apiError{e.Status, e.Code, strings.TrimSpace(e.Message[:i])}
	case i >= 0 && g.faults.has(FaultMismatchMessage) && e.Code == CodeSignatureDoesNotMatch && c.style != signature.V3:
		e = &apiError{e.Status, e.Code, "The signature does not match. " + e.Message[i:]}
	}
	if m, ok := g.faults.changedMessage(e.Code); ok {
		e = &apiError{e.Status, e.Code, m}
	}
	return e
}

// applyEnvelopeFaults sets what the envelope faults change in a reply.
func (g *Gateway) applyEnvelopeFaults(c *call) {
	if !g.faults.any {
		return
	}
	switch {
	case g.faults.has(FaultRepeatedRequestID):
		c.rp.requestID = g.fixedReqID
	case g.faults.has(FaultLowercaseRequestID):
		c.rp.requestID = strings.ToLower(c.rp.requestID)
	}
	c.rp.headerID = c.rp.requestID
	if g.faults.has(FaultRequestIDHeader) {
		c.rp.headerID = newRequestID()
	}
	if g.faults.has(FaultConstantHostID) {
		c.rp.hostID = "pop.aliyuncs.com"
	}
	c.rp.xmlRoot = ""
	if g.faults.has(FaultXMLRoot) {
		c.rp.xmlRoot = "Response"
	}
	c.rp.fault = &envelopeFault{g.faults}
}

// envelopeFault changes the headers and bodies of replies as the envelope
// faults do.
type envelopeFault struct{ set faultSet }

// contentType is the Content-Type a fault answers with instead of ct.
func (f *envelopeFault) contentType(ct string, isErr bool) string {
	has := f.set.has
	switch {
	case ct == ContentTypeJSON && has(FaultContentType):
		return "application/json"
	case ct == ContentTypeJSON && has(FaultJettyContentType):
		return "application/json; charset=UTF-8"
	case ct == ContentTypeJSON && has(FaultJSONTextPlain):
		return "text/plain;charset=utf-8"
	case ct == ContentTypeXML && isErr && has(FaultXMLErrorType):
		return "application/xml;charset=utf-8"
	case ct == ContentTypeXML && !isErr && has(FaultXMLContentType):
		return "application/octet-stream"
	}
	return ct
}

// headers drops the headers the faults leave out.
func (f *envelopeFault) headers(h http.Header) {
	if f.set.has(FaultDropTraceID) {
		delete(h, HeaderTraceID)
	}
	if f.set.has(FaultDropCORS) {
		delete(h, "Access-Control-Allow-Origin")
	}
	if f.set.has(FaultDropExpose) {
		delete(h, "Access-Control-Expose-Headers")
	}
}

// errorBody is an encoded error body as the faults change it.
func (f *envelopeFault) errorBody(out []byte, rp *reply, e *apiError) []byte {
	has := f.set.has
	switch {
	case has(FaultDropRecommend):
		out = dropEnvelopeField(out, rp.format, "Recommend")
	case has(FaultDropHostID):
		out = dropEnvelopeField(out, rp.format, "HostId")
	case has(FaultDropMessage):
		out = dropEnvelopeField(out, rp.format, "Message")
	case has(FaultGarbageRecommend):
		out = bytes.ReplaceAll(out, []byte(rp.recommend(e.Code)), []byte("https://example.com/help"))
	case has(FaultXMLErrorRoot) && rp.format == FormatXML:
		out = bytes.ReplaceAll(bytes.ReplaceAll(out, []byte("<Error>"), []byte("<Response>")), []byte("</Error>"), []byte("</Response>"))
	case has(FaultXMLUnescaped) && rp.format == FormatXML:
		// The fault: XML written by concatenation, & and < as they are.
		out = []byte("<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>" + rp.requestID + "</RequestId><HostId>" + rp.hostID +
			"</HostId><Code>" + e.Code + "</Code><Message>" + e.Message + "</Message><Recommend>" + rp.recommend(e.Code) + "</Recommend></Error>")
	case has(FaultSortedErrorFields) && rp.format == FormatJSON:
		var m map[string]any
		if json.Unmarshal(out, &m) == nil {
			out, _ = json.Marshal(m) // a map's keys marshal sorted
		}
	}
	return out
}

// dropEnvelopeField removes one field from an encoded error body.
func dropEnvelopeField(b []byte, format, field string) []byte {
	if format == FormatXML {
		start, end := []byte("<"+field+">"), []byte("</"+field+">")
		i, j := bytes.Index(b, start), bytes.Index(b, end)
		if i < 0 || j < i {
			return b
		}
		return append(append([]byte(nil), b[:i]...), b[j+len(end):]...)
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	delete(m, field)
	out, _ := json.Marshal(m)
	return out
}

// productFormat is the RPC response format of p for a request without a
// Format parameter (docs/protocol.md §5), or JSON under the default-json fault.
func (g *Gateway) productFormat(p *product.Profile) string {
	if g.faults.has(FaultDefaultJSON) {
		return FormatJSON
	}
	return g.cfg.defaultFormat(p)
}

// malformedFault is the answer the faults give to a query or body that
// does not parse (err), or nil to answer it as usual.
func (g *Gateway) malformedFault(err error) *apiError {
	switch {
	case err == nil || !g.faults.any:
		return nil
	case g.faults.has(FaultMalformed500):
		return errInternal
	case g.faults.has(FaultMalformedHangup):
		panic(http.ErrAbortHandler) // net/http cuts the connection
	case g.faults.has(FaultMalformedMessage):
		return &apiError{http.StatusBadRequest, "RequestParameterMalformed", "The request parameters are malformed."}
	}
	return nil
}

// unknownKeyFault answers an unknown AccessKeyId as the key faults do, or
// nil to answer it as usual.
func (g *Gateway) unknownKeyFault(c *call) *apiError {
	switch {
	case !g.faults.any:
		return nil
	case g.faults.has(FaultNotFoundAs400):
		return &apiError{http.StatusBadRequest, CodeKeyNotFound, msgKeyNotFound}
	case g.faults.has(FaultUnknownKeyMismatch):
		return g.mismatch(c, "")
	case g.faults.has(FaultShortKeyMessage):
		return &apiError{http.StatusNotFound, "InvalidAccessKeyId", "The AccessKeyId is invalid."}
	}
	return nil
}

// lruNonce is the nonce-lru fault's store: the 64 most recent nonces, in a
// ring; recording one evicts the oldest.
func (g *Gateway) lruNonce(nonce string, record bool) *apiError {
	g.faultMu.Lock()
	defer g.faultMu.Unlock()
	if slices.Contains(g.lru[:], nonce) {
		return errNonceUsed
	}
	if record {
		g.lru[g.lruNext%len(g.lru)] = nonce
		g.lruNext++
	}
	return nil
}

// rpcFaultyKey is the HMAC key of an RPC signature under the faults.
func (s faultSet) rpcFaultyKey(secret signature.Secret) string {
	if s.has(FaultRPCKeyNoAmpersand) {
		return string(secret)
	}
	return string(secret) + "&"
}

// acsHeaderParams returns the x-acs-* headers of h as parameters: what the
// rpc-signs-acs-headers fault signs besides the query.
func acsHeaderParams(h http.Header) signature.Params {
	var out signature.Params
	for k, v := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-acs-") && len(v) > 0 {
			out = append(out, signature.Param{Key: lk, Value: v[0]})
		}
	}
	return out
}

// roaFaulty reports whether a ROA string-to-sign fault is on.
func (s faultSet) roaFaulty() bool {
	return s.has(FaultROASkipACSHeaders) || s.has(FaultROAEncodedResource) || s.has(FaultROAKeyAmpersand) || s.has(FaultROAAcceptNormalized)
}

// roaFaultyKey is the HMAC key of a ROA signature under the faults.
func (s faultSet) roaFaultyKey(secret signature.Secret) string {
	if s.has(FaultROAKeyAmpersand) {
		return string(secret) + "&"
	}
	return string(secret)
}

// otherMethod is the method a method-unsigned gateway also tries.
func otherMethod(m string) string {
	if m == http.MethodGet {
		return http.MethodPost
	}
	return http.MethodGet
}

// actionFor finds an action of b by its case-sensitive name (docs/protocol.md
// §1.1), or in any case under the action-case-insensitive fault.
func (g *Gateway) actionFor(b *backend, name string) (*action, bool) {
	a, ok := b.actions[name]
	if !ok && g.faults.has(FaultActionFoldCase) {
		for n, x := range b.actions {
			if strings.EqualFold(n, name) {
				return x, true
			}
		}
	}
	return a, ok
}

// routeAnyMethod is the route-any-method fault's router: a path served by
// some method is served whatever the method.
func routeAnyMethod(b *backend, path string) (*action, signature.Params, bool) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if a, bound, ok := b.route(m, path); ok {
			return a, bound, true
		}
	}
	return nil, nil, false
}

// v3AuthFault is a V3 Authorization that did not parse, as the faults take
// it: any algorithm as ACS3-HMAC-SHA256, a missing Credential as the
// first key's.
func (g *Gateway) v3AuthFault(auth signature.V3Auth, perr error) (signature.V3Auth, error) {
	switch {
	case g.faults.has(FaultV3AnyAlgorithm) && auth.Credential != "" && auth.Signature != "":
		return auth, nil
	case g.faults.has(FaultV3DefaultCredential) && auth.Credential == "" && auth.Signature != "" && len(g.cfg.Keys) > 0:
		auth.Credential = g.cfg.Keys[0].ID
		return auth, nil
	}
	return auth, perr
}
