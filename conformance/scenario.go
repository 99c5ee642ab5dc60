// Package conformance runs scenario files against a gateway and says where
// it departs from the POP protocol. A scenario is data (YAML, see
// scenarios/schema.json): requests built from the target's profile,
// deviations applied before or after signing, and the expected answer.
package conformance

import (
	"time"

	"github.com/acsharness/acsharness/signature"
)

// Categories of scenarios, in report order.
var Categories = []string{"signature", "timestamp", "nonce", "encoding", "envelope", "parameters"}

// Scenario is one check, possibly expanded over styles and products.
type Scenario struct {
	ID       string
	Title    string
	Category string
	// Spec points at the section of the spec checked ("docs/protocol.md §4").
	Spec string
	// Rules are the ids of the rules the scenario checks (scenarios/rules.yaml).
	// A failure of a step's expectation names the step's Expect.Rule, or
	// the first of these that applies to the case's style.
	Rules []string
	// Styles the scenario applies to; empty means all three.
	Styles []signature.Style
	// Products the scenario applies to, by code; empty means every profile.
	Products []string
	// Needs names credentials beyond the main key: inactive-key,
	// second-key, throttled-key. Without them the scenario is skipped.
	Needs []string
	Steps []Step

	File string // where it was loaded from, for messages
	Line int
}

// Step is one request (or N identical concurrent copies) and what must
// come back.
type Step struct {
	Name    string
	Request RequestSpec
	Sign    SignSpec
	Tamper  TamperSpec
	// Copies sends this many identical copies at once (default 1).
	Copies int
	// Distinct signs each copy afresh (its own nonce) instead of sending
	// one signed request several times.
	Distinct bool
	Expect   Expect
	// Capture names values of this step for later ones: nonce, request_id.
	Capture map[string]string
	Line    int
}

// KV is an ordered name/value pair; YAML mappings keep their order.
type KV struct {
	Key   string
	Value string
}

// RequestSpec describes the correct request a step starts from.
type RequestSpec struct {
	// Style overrides the style the scenario expands to.
	Style  signature.Style
	Method string
	// Action is "probe" (default: the profile's benign action), "business"
	// (the profile's action with a required parameter) or a literal name.
	Action string
	// Path is a ROA or V3 path; default the profile's route.
	Path string
	// Params, Form and Headers add to the action's own; in a header value
	// {action} and {version} stand for the request's.
	Params  []KV
	Form    []KV
	Headers []KV
	Body    string
	// Format is JSON or XML (RPC Format, ROA/V3 Accept); "none" sends none.
	Format string
	// Host overrides the profile's Host header; Version its API version.
	Host    string
	Version string
	// NoProbeParams leaves out the action's own parameters.
	NoProbeParams bool
}

// SignSpec deviates from a correct request before it is signed.
type SignSpec struct {
	// Secret "wrong" signs with a wrong secret.
	Secret string
	// Key is "", "unknown", "inactive", "second", "throttled", "sts" (the
	// STS key with its token) or "main-with-sts-token" (the main key
	// carrying the STS key's token).
	Key       string
	Timestamp TimeSpec
	// Nonce is "fresh" (default), "empty", "literal:<v>", "reuse:<capture>"
	// or "uuid" (a fresh random UUID, the form the docs recommend, where
	// "fresh" is the SDKs' 32 hex digits).
	Nonce string
	// Omit names common parameters or headers not to send.
	Omit []string
	// Set gives parameters (RPC) or headers (ROA/V3) values before signing.
	Set []KV
}

// TimeSpec deviates from the correct time.
type TimeSpec struct {
	// Offset moves the time from now (negative is the past).
	Offset time.Duration
	// Literal sends this value as is.
	Literal string
	// Name sends the RPC time under this parameter name ("TimeStamp").
	Name string
	// Form writes the (offset) time in another form than the style's own
	// (ISO 8601 UTC "…Z"; ROA: RFC 1123 GMT): "fraction" (ISO 8601 UTC with
	// milliseconds), "offset" (ISO 8601 of the same instant at +08:00),
	// "zoneless" (ISO 8601 UTC wall time without a zone), "iso8601" (the
	// RPC/V3 form, for a ROA Date), "ampm" (a ROA Date on a 12-hour
	// clock, "… 01:41:59 PM GMT") or "http-date" (RFC 1123 GMT, the ROA
	// form, for an RPC Timestamp or a V3 x-acs-date).
	Form string
}

// TamperSpec deviates from the signed request before it is sent.
type TamperSpec struct {
	Set         []KV     // change parameters (RPC: query or form, ROA/V3: query)
	Add         []KV     // append parameters, duplicates allowed
	Drop        []string // remove parameters
	Rename      []KV     // rename parameters, Key to Value
	Headers     []KV     // set headers (changed or unsigned extra)
	DropHeaders []string // remove headers
	HeaderCase  []KV     // resend a header under another spelling of its name
	FlipSig     bool     // change one character of the signature
	Body        *string  // replace the body
	RawQuery    string   // send this query string; {query} stands for the encoded one
	Space       string   // "plus" or "percent": how a space goes on the wire (a V3 body is hashed in that form)
	Method      string   // send with another HTTP method
	Resign      bool     // sign again after tampering (the deviation is then signed)
	// Unsign signs a V3 request again with these headers left out of
	// SignedHeaders: a real signature over too few headers.
	Unsign []string
	// ROAForm signs a ROA request again in a form another official client
	// signs (docs/protocol.md §2.2, §9 F8, F9): "empty-equals" (an empty query value
	// as "k=", not "k") or "escaped-path" (the path as sent, not decoded).
	ROAForm string
	// Authorization rewrites the Authorization header from a template, last:
	// {algorithm}, {credential}, {signed_headers} and {signature} stand for
	// the parts of the header as signed (ROA: "acs", the key ID, "" and the
	// signature; RPC: "", AccessKeyId, "" and Signature).
	Authorization string
}

// Expect is what a step's answer must be.
type Expect struct {
	// Rule is the rule a failure of this expectation breaks; "" means the
	// scenario's first rule that applies to the case's style.
	Rule string
	// Status lists the acceptable HTTP statuses; empty means 200 when no
	// code is expected, else any 4xx.
	Status []int
	// Code lists the acceptable error codes; empty means success. "OK" in
	// the list accepts a success too.
	Code []string
	// CodePattern is a regular expression the code must match instead.
	CodePattern string
	// Message is a regular expression the error message must match.
	Message string
	// Headers are response headers and the regular expressions their
	// values must match; a name "a|b" is met by either header.
	Headers []KV
	// Format is the response format expected, JSON or XML.
	Format string
	// XMLRoot is the XML root expected ("Error", or "{action}Response").
	XMLRoot string
	// Envelope checks RequestId, x-acs-request-id, Content-Type and the
	// error fields; default true.
	Envelope *bool
	// EchoStringToSign checks that the message carries the server string
	// to sign and that it equals ours.
	EchoStringToSign bool
	// Successes is, for copies, how many must succeed (the others must
	// match Code).
	Successes *int
	// Also is a graded expectation (its Rule, Status, Code and Message),
	// checked once this one holds: what the answer should or may also be.
	Also *Expect
}
