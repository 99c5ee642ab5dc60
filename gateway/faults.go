package gateway

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// Fault is a deliberate deviation the gateway can be started with: one
// small mistake a real gateway could make. Faults exist so that the
// conformance suite can prove it catches them (`acsharness selftest`);
// `acsharness serve` never sets one.
type Fault string

// The fault catalogue, by the category of scenario meant to catch each.
const (
	// signature
	FaultSkipSignature     Fault = "skip-signature"       // accepts any signature, every style
	FaultSignaturePrefix   Fault = "signature-prefix"     // compares only the first 8 characters of a signature
	FaultRPCIgnoreForm     Fault = "rpc-ignore-form"      // RPC: leaves form-body parameters out of the string to sign
	FaultRPCDropEmpty      Fault = "rpc-drop-empty"       // RPC: leaves empty-valued parameters out of the canonical query
	FaultRPCFoldSort       Fault = "rpc-fold-sort"        // RPC: sorts names case-insensitively
	FaultROASkipACSHeaders Fault = "roa-skip-acs-headers" // ROA: leaves the x-acs-* headers out of the string to sign
	FaultV3UnsignedHeaders Fault = "v3-unsigned-headers"  // V3: accepts x-acs-* headers missing from SignedHeaders
	FaultV3SkipBodyHash    Fault = "v3-skip-body-hash"    // V3: never checks x-acs-content-sha256 against the body
	FaultNoStringToSign    Fault = "no-string-to-sign"    // SignatureDoesNotMatch without the server string to sign
	// encoding
	FaultPlusLiteral        Fault = "plus-literal"         // decodes '+' in the query as '+', not a space
	FaultTildeEncoded       Fault = "tilde-encoded"        // RPC: encodes '~' as %7E in the canonical query
	FaultStarLiteral        Fault = "star-literal"         // RPC: leaves '*' unencoded in the canonical query
	FaultROAEncodedResource Fault = "roa-encoded-resource" // ROA: percent-encodes the canonical resource's values
	// timestamp
	FaultWideSkew         Fault = "wide-skew"         // accepts times up to 60 minutes off
	FaultFutureOK         Fault = "future-ok"         // accepts any time in the future
	FaultLenientTimestamp Fault = "lenient-timestamp" // takes an unparseable time as now
	FaultTimeStampAlias   Fault = "timestamp-alias"   // accepts the misspelt TimeStamp for Timestamp
	// nonce
	FaultForgetNonces  Fault = "forget-nonces"    // never records a nonce
	FaultPerKeyNonces  Fault = "per-key-nonces"   // keeps nonces per AccessKey, not network-wide
	FaultNonceRace     Fault = "nonce-race"       // checks and records a nonce in two steps, so racing copies pass
	FaultEmptyNonceOK  Fault = "empty-nonce-ok"   // accepts an empty SignatureNonce
	FaultROANonceNoted Fault = "roa-nonce-unused" // ROA and V3: never checks x-acs-signature-nonce
	// envelope
	FaultDropRecommend      Fault = "drop-recommend"       // error bodies lack Recommend
	FaultDropHostID         Fault = "drop-hostid"          // error bodies lack HostId
	FaultJSONForXML         Fault = "json-for-xml"         // answers JSON when XML was asked
	FaultLowercaseRequestID Fault = "lowercase-request-id" // RequestId in lowercase
	FaultRequestIDHeader    Fault = "request-id-header"    // x-acs-request-id differs from the body's RequestId
	FaultRepeatedRequestID  Fault = "repeated-request-id"  // every response carries the same RequestId
	FaultXMLRoot            Fault = "xml-root"             // success XML rooted at <Response>, not <{Action}Response>
	FaultContentType        Fault = "content-type"         // JSON answered as "application/json" without the charset
	FaultErrorsAs200        Fault = "errors-as-200"        // errors answered with HTTP 200
	// parameters
	FaultNotFoundAs400     Fault = "notfound-as-400"     // an unknown AccessKeyId answered 400, not 404
	FaultInactiveKeyOK     Fault = "inactive-key-ok"     // accepts a disabled AccessKey
	FaultMissingVersionOK  Fault = "missing-version-ok"  // an absent Version means the product's
	FaultFoldParamNames    Fault = "fold-param-names"    // matches common parameter names in any case
	FaultAnyMethod         Fault = "any-method"          // RPC accepts any HTTP method
	FaultStrictFormatCase  Fault = "strict-format-case"  // rejects a lowercase Format=json
	FaultSkipBusinessCheck Fault = "skip-business-check" // never checks an action's required parameters
)

// FaultInfo describes a fault for the self-test's matrix.
type FaultInfo struct {
	Fault    Fault
	Category string
	About    string
}

// Faults lists every fault, in catalogue order.
func Faults() []FaultInfo {
	return slices.Clone(faultCatalogue)
}

var faultCatalogue = []FaultInfo{
	{FaultSkipSignature, "signature", "accepts any signature, every style"},
	{FaultSignaturePrefix, "signature", "compares only the first 8 characters of a signature"},
	{FaultRPCIgnoreForm, "signature", "RPC: leaves form-body parameters out of the string to sign"},
	{FaultRPCDropEmpty, "signature", "RPC: leaves empty-valued parameters out of the canonical query"},
	{FaultRPCFoldSort, "signature", "RPC: sorts parameter names case-insensitively"},
	{FaultROASkipACSHeaders, "signature", "ROA: leaves the x-acs-* headers out of the string to sign"},
	{FaultV3UnsignedHeaders, "signature", "V3: accepts x-acs-* headers missing from SignedHeaders"},
	{FaultV3SkipBodyHash, "signature", "V3: never checks x-acs-content-sha256 against the body"},
	{FaultNoStringToSign, "signature", "SignatureDoesNotMatch without the server string to sign"},
	{FaultPlusLiteral, "encoding", "decodes '+' in the query as '+', not a space"},
	{FaultTildeEncoded, "encoding", "RPC: encodes '~' as %7E in the canonical query"},
	{FaultStarLiteral, "encoding", "RPC: leaves '*' unencoded in the canonical query"},
	{FaultROAEncodedResource, "encoding", "ROA: percent-encodes the canonical resource's values"},
	{FaultWideSkew, "timestamp", "accepts times up to 60 minutes off"},
	{FaultFutureOK, "timestamp", "accepts any time in the future"},
	{FaultLenientTimestamp, "timestamp", "takes an unparseable time as now"},
	{FaultTimeStampAlias, "timestamp", "accepts the misspelt TimeStamp for Timestamp"},
	{FaultForgetNonces, "nonce", "never records a nonce"},
	{FaultPerKeyNonces, "nonce", "keeps nonces per AccessKey, not network-wide"},
	{FaultNonceRace, "nonce", "checks and records a nonce in two steps, so racing copies pass"},
	{FaultEmptyNonceOK, "nonce", "accepts an empty SignatureNonce"},
	{FaultROANonceNoted, "nonce", "ROA and V3: never check x-acs-signature-nonce"},
	{FaultDropRecommend, "envelope", "error bodies lack Recommend"},
	{FaultDropHostID, "envelope", "error bodies lack HostId"},
	{FaultJSONForXML, "envelope", "answers JSON when XML was asked"},
	{FaultLowercaseRequestID, "envelope", "RequestId in lowercase"},
	{FaultRequestIDHeader, "envelope", "x-acs-request-id differs from the body's RequestId"},
	{FaultRepeatedRequestID, "envelope", "every response carries the same RequestId"},
	{FaultXMLRoot, "envelope", "success XML rooted at <Response>, not <{Action}Response>"},
	{FaultContentType, "envelope", `JSON answered as "application/json" without the charset`},
	{FaultErrorsAs200, "envelope", "errors answered with HTTP 200"},
	{FaultNotFoundAs400, "parameters", "an unknown AccessKeyId answered 400, not 404"},
	{FaultInactiveKeyOK, "parameters", "accepts a disabled AccessKey"},
	{FaultMissingVersionOK, "parameters", "an absent Version means the product's"},
	{FaultFoldParamNames, "parameters", "matches common parameter names in any case"},
	{FaultAnyMethod, "parameters", "RPC accepts any HTTP method"},
	{FaultStrictFormatCase, "parameters", "rejects a lowercase Format=json"},
	{FaultSkipBusinessCheck, "parameters", "never checks an action's required parameters"},
}

func knownFault(f Fault) bool {
	for _, fi := range faultCatalogue {
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
	return s.has(FaultRPCDropEmpty) || s.has(FaultRPCFoldSort) || s.has(FaultTildeEncoded) || s.has(FaultStarLiteral)
}
