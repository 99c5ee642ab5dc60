package record

import (
	"slices"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// Rules a recording is judged by, besides the aspects of signature.Forms
// (signature.AspectRPCFormatCase and the others), which are rules too.
const (
	RuleStyle           = "style"
	RuleSignature       = "signature"
	RuleSignatureMethod = "signature.method"
	RuleSignedHeaders   = "signed-headers"
	RuleTimestampForm   = "timestamp.form"
	RuleTimestampSkew   = "timestamp.skew"
	RuleNonceForm       = "nonce.form"
	RuleNonceUnique     = "nonce.unique"
	RuleAccept          = "accept"
	RuleWireSpace       = "wire.space"
	RuleWireTilde       = "wire.tilde"
	RuleWireStar        = "wire.star"
	RuleWireEscapes     = "wire.escapes"
	RuleRPCPlacement    = "rpc.placement"
	RuleV3ContentSHA256 = "v3.content-sha256"
)

// Values an observation takes besides those written as sent.
const (
	ValueAbsent      = "absent"
	ValueSent        = "sent"
	ValueEmpty       = "empty"
	ValueMalformed   = "a malformed percent-escape"
	ValueMisspelt    = "TimeStamp (misspelt)"
	ValueUnparseable = "unparseable"
	ValueRFC1123     = "RFC 1123 GMT"
	ValueISOZ        = "yyyy-MM-ddTHH:mm:ssZ"
	ValueISOFraction = "with fractional seconds"
	ValueISOOffset   = "with a UTC offset"
	ValueISONoZone   = "without a zone"
	ValueInWindow    = "within the window"
	ValueOutOfWindow = "outside the window"
	ValueHex32       = "32 lowercase hex"
	ValueUUID        = "UUID"
	ValueUnique      = "unique"
	ValueRepeated    = "repeated"
	ValueMatches     = "the body's hash"
	ValueMismatch    = "not the body's hash"
	ValueVerified    = "verified"
	ValueWrong       = "wrong"
	ValueNotChecked  = "not checked"
	ValueAlways      = "always"     // signature.AspectRPCRegionID, aggregated
	ValueWhenGiven   = "when given" // signature.AspectRPCRegionID, aggregated
)

// Classes of a form, from best to worst.
const (
	ClassDocumented  = "documented"
	ClassVariant     = "accepted variant"
	ClassDeparture   = "departure"
	ClassNotChecked  = "not checked"
	ClassNotObserved = "not observed"
)

// Rule is one rule of the spec a client is judged by.
type Rule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Spec  string `json:"spec"`
	// Styles are the styles the rule applies to; nil means all.
	Styles []signature.Style `json:"styles,omitempty"`
	// aspect is the signature.Forms aspect naming the official clients of
	// each form, when it is not the rule's ID.
	aspect string
	// documented says whether a value (with its detail) is the documented
	// form; a value that is not is an accepted variant when signature.Forms
	// lists it for the rule, a departure otherwise.
	documented func(value, detail string) bool
	// notes explain some values.
	notes map[string]string
}

func oneOf(values ...string) func(string, string) bool {
	return func(v, _ string) bool { return slices.Contains(values, v) }
}

func always(string, string) bool { return true }

// Rules lists every rule, in the order a report shows them.
var Rules = []Rule{
	{ID: RuleStyle, Title: "Signing style", Spec: "docs/protocol.md §1, §2, §3", documented: always},
	{ID: RuleSignature, Title: "Signature verified", Spec: "docs/protocol.md §1.6, §2.5, §3.4", documented: oneOf(ValueVerified)},
	{ID: RuleSignatureMethod, Title: "Signature method and version", Spec: "docs/protocol.md §1.1, §2.1, §3.2",
		documented: oneOf("HMAC-SHA1 1.0", signature.V3Algorithm)},
	{ID: RuleSignedHeaders, Title: "Headers signed", Spec: "docs/protocol.md §1.2, §2.2, §3.2",
		documented: func(_, detail string) bool { return !strings.HasPrefix(detail, "leaves out") }},
	{ID: RuleTimestampForm, Title: "Timestamp form (Timestamp, Date, x-acs-date)", Spec: "docs/protocol.md §1.1, §2.1, §3.1, §4.1",
		documented: oneOf(ValueISOZ, ValueRFC1123),
		notes: map[string]string{
			ValueISOFraction: "the gateway accepts it (docs/protocol.md §4.1)",
			ValueISONoZone:   "read as UTC, where the gateway accepts it (docs/protocol.md §9 F2)",
			ValueISOOffset:   "refused unless the gateway allows offsets",
			ValueMisspelt:    "the gateway answers MissingTimestamp (docs/protocol.md §7.1)",
		}},
	{ID: RuleTimestampSkew, Title: "Clock skew against the gateway", Spec: "docs/protocol.md §4.1", documented: oneOf(ValueInWindow)},
	{ID: RuleNonceForm, Title: "Nonce form", Spec: "docs/protocol.md §1.1, §4.1",
		documented: func(v, _ string) bool { return v != ValueEmpty && v != ValueAbsent },
		notes: map[string]string{
			ValueHex32: "the form alibaba-cloud-sdk-go and darabonba send",
			ValueUUID:  "the form the documentation recommends",
			ValueEmpty: "an empty nonce counts as sent and repeats (docs/protocol.md §4.1)",
		}},
	{ID: RuleNonceUnique, Title: "Nonce unique within the recording", Spec: "docs/protocol.md §4.1", documented: oneOf(ValueUnique)},
	{ID: signature.AspectRPCFormatCase, Title: "Format parameter", Spec: "docs/protocol.md §1.1, §7.3", Styles: []signature.Style{signature.RPC},
		documented: oneOf("JSON", "XML", ValueAbsent),
		notes:      map[string]string{ValueAbsent: "the product's default format answers"}},
	{ID: signature.AspectRPCSignatureType, Title: "SignatureType parameter", Spec: "docs/protocol.md §1.1", Styles: []signature.Style{signature.RPC},
		documented: oneOf(ValueAbsent)},
	{ID: signature.AspectRPCRegionID, Title: "RegionId parameter", Spec: "docs/protocol.md §1.1, §7.14", Styles: []signature.Style{signature.RPC},
		documented: oneOf(ValueWhenGiven)},
	{ID: RuleRPCPlacement, Title: "Where the parameters travel", Spec: "docs/protocol.md §1.2, §1.5", Styles: []signature.Style{signature.RPC}, documented: always},
	{ID: RuleWireSpace, Title: "A space on the wire", Spec: "docs/protocol.md §1.3, §1.5", documented: oneOf("%20"), aspect: signature.AspectRPCWireSpace},
	{ID: RuleWireTilde, Title: "'~' on the wire", Spec: "docs/protocol.md §1.3", documented: oneOf("~"),
		notes: map[string]string{"%7E": "decodes to '~': harmless on the wire, but not the documented encoding"}},
	{ID: RuleWireStar, Title: "'*' on the wire", Spec: "docs/protocol.md §1.3", documented: oneOf("%2A"),
		notes: map[string]string{"*": "decodes to '*': harmless on the wire, but not the documented encoding"}},
	{ID: RuleWireEscapes, Title: "Percent-escapes well formed", Spec: "docs/protocol.md §1.6, §9 F1", documented: func(string, string) bool { return false },
		notes: map[string]string{ValueMalformed: "the gateway answers 400 RequestParameterMalformed"}},
	{ID: RuleAccept, Title: "Accept header", Spec: "docs/protocol.md §2.1, §5", Styles: []signature.Style{signature.ROA, signature.V3},
		documented: oneOf("application/json", "application/xml", ValueAbsent),
		notes:      map[string]string{ValueAbsent: "the gateway answers JSON"}},
	{ID: signature.AspectROAEmptyValue, Title: "An empty query value in the signed resource", Spec: "docs/protocol.md §2.2, §9 F8",
		Styles: []signature.Style{signature.ROA}, documented: oneOf("k")},
	{ID: signature.AspectROAPath, Title: "The path in the signed resource", Spec: "docs/protocol.md §2.2, §3.2, §9 F9",
		Styles: []signature.Style{signature.ROA}, documented: oneOf("decoded")},
	{ID: signature.AspectROAContentMD5, Title: "Content-MD5 header", Spec: "docs/protocol.md §2.1", Styles: []signature.Style{signature.ROA},
		documented: func(v, detail string) bool { return v == ValueSent && detail == "" }},
	{ID: signature.AspectROANonce, Title: "x-acs-signature-nonce header", Spec: "docs/protocol.md §2.1", Styles: []signature.Style{signature.ROA},
		documented: oneOf(ValueSent)},
	{ID: signature.AspectROAGetContentType, Title: "Content-Type on a GET without a body", Spec: "docs/protocol.md §2.1", Styles: []signature.Style{signature.ROA},
		documented: oneOf(ValueAbsent)},
	{ID: RuleV3ContentSHA256, Title: "x-acs-content-sha256", Spec: "docs/protocol.md §3.1, §3.4", Styles: []signature.Style{signature.V3},
		documented: oneOf(ValueMatches)},
}

// rule returns the rule of an ID.
func rule(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// classify says whether a value is the documented form of a rule, an
// accepted variant or a departure, and names the official clients that
// produce it (signature.Forms).
func classify(r Rule, value, detail string) (class string, clients []string) {
	aspect := r.ID
	if r.aspect != "" {
		aspect = r.aspect
	}
	for _, f := range signature.FormsOf(aspect) {
		if f.Variant == value {
			clients = f.Clients
		}
	}
	switch {
	case r.ID == RuleSignature && value == ValueNotChecked:
		return ClassNotChecked, nil
	case r.documented(value, detail):
		return ClassDocumented, clients
	case clients != nil:
		return ClassVariant, clients
	}
	return ClassDeparture, nil
}

// worse reports whether class a is worse than b.
func worse(a, b string) bool {
	rank := map[string]int{ClassNotObserved: 0, ClassNotChecked: 1, ClassDocumented: 2, ClassVariant: 3, ClassDeparture: 4}
	return rank[a] > rank[b]
}
