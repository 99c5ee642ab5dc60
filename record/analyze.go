package record

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// Analysis is what a client did in one request, rule by rule.
type Analysis struct {
	Style        signature.Style `json:"style,omitempty"`
	Action       string          `json:"action,omitempty"`
	Observations []Observation   `json:"observations"`
}

// Observation is the form a request took for one rule.
type Observation struct {
	Rule  string `json:"rule"`
	Value string `json:"value"`
	// Detail adds what the value cannot say: a skew in seconds, the step
	// where a signature departs.
	Detail string `json:"detail,omitempty"`
}

func (a *Analysis) add(rule, value, detail string) {
	a.Observations = append(a.Observations, Observation{Rule: rule, Value: value, Detail: detail})
}

// Get returns the first observation of a rule.
func (a *Analysis) Get(rule string) (Observation, bool) {
	for _, o := range a.Observations {
		if o.Rule == rule {
			return o, true
		}
	}
	return Observation{}, false
}

// analysis is an Analysis and the nonce sent, for the uniqueness check.
type analysis struct {
	Analysis
	nonce *string
}

// analyze works out what the client did in req, whose body starts with
// body, received at at.
func analyze(req *http.Request, body []byte, at time.Time, o Options) analysis {
	var a analysis
	query, qerr := signature.ParseQuery(nil, req.URL.RawQuery)
	if qerr != nil {
		a.add(RuleWireEscapes, ValueMalformed, qerr.Error())
	}
	a.Style = signature.StyleOfAuthorization(req.Header.Get(signature.HeaderAuthorization))
	a.add(RuleStyle, string(a.Style), "")
	raw := []string{req.URL.RawQuery}
	switch a.Style {
	case signature.RPC:
		params := query
		if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			form, err := signature.ParseQuery(nil, string(body))
			if err != nil {
				a.add(RuleWireEscapes, ValueMalformed, "form body: "+err.Error())
			}
			params = append(params, form...)
			raw = append(raw, string(body))
			if len(form) > 0 {
				a.add(RuleRPCPlacement, "query and form body", "")
			} else {
				a.add(RuleRPCPlacement, "query", "")
			}
		} else {
			a.add(RuleRPCPlacement, "query", "")
		}
		a.rpc(req, params, at, o)
	case signature.ROA:
		a.roa(req, query, body, at, o)
	case signature.V3:
		a.v3(req, query, body, at, o)
	}
	a.wire(raw)
	return a
}

func (a *analysis) rpc(req *http.Request, params signature.Params, at time.Time, o Options) {
	a.Action, _ = params.Get(signature.ParamAction)
	switch ts, ok := params.Get(signature.ParamTimestamp); {
	case ok:
		a.timestamp(ts, false, at, o.Skew)
	case params.Has("TimeStamp"):
		a.add(RuleTimestampForm, ValueMisspelt, "TimeStamp instead of Timestamp (docs/protocol.md §7.1)")
	default:
		a.add(RuleTimestampForm, ValueAbsent, "")
	}
	if nonce, ok := params.Get(signature.ParamSignatureNonce); ok {
		a.nonceSeen(nonce)
	} else {
		a.add(RuleNonceForm, ValueAbsent, "")
	}
	if f, ok := params.Get(signature.ParamFormat); ok {
		a.add(signature.AspectRPCFormatCase, f, "")
	} else {
		a.add(signature.AspectRPCFormatCase, ValueAbsent, "")
	}
	if v, ok := params.Get("SignatureType"); ok {
		a.add(signature.AspectRPCSignatureType, "SignatureType="+v, "")
	} else {
		a.add(signature.AspectRPCSignatureType, ValueAbsent, "")
	}
	if _, ok := params.Get("RegionId"); ok {
		a.add(signature.AspectRPCRegionID, ValueSent, "")
	} else {
		a.add(signature.AspectRPCRegionID, ValueAbsent, "")
	}
	m, _ := params.Get(signature.ParamSignatureMethod)
	v, _ := params.Get(signature.ParamSignatureVersion)
	a.add(RuleSignatureMethod, m+" "+v, "")
	var unsigned []string
	for _, h := range []string{signature.HeaderACSAction, signature.HeaderACSVersion} {
		if req.Header.Get(h) != "" {
			unsigned = append(unsigned, h)
		}
	}
	if len(unsigned) > 0 {
		a.add(RuleSignedHeaders, "none signed; sent "+strings.Join(unsigned, ", "), "RPC signs parameters only (docs/protocol.md §1.2)")
	} else {
		a.add(RuleSignedHeaders, "none (parameters only)", "")
	}
	a.signatureRPC(req.Method, params, o)
}

func (a *analysis) roa(req *http.Request, query signature.Params, body []byte, at time.Time, o Options) {
	a.Action = req.Header.Get(signature.HeaderACSAction)
	if d := req.Header.Get(signature.HeaderDate); d != "" {
		a.timestamp(d, true, at, o.Skew)
	} else {
		a.add(RuleTimestampForm, ValueAbsent, "no Date header")
	}
	if nonce, ok := header(req.Header, signature.HeaderACSNonce); ok {
		a.add(signature.AspectROANonce, ValueSent, "")
		a.nonceSeen(nonce)
	} else {
		a.add(signature.AspectROANonce, ValueAbsent, "")
	}
	if md5h, ok := header(req.Header, signature.HeaderContentMD5); ok {
		sum := md5.Sum(body)
		detail := ""
		if md5h != base64.StdEncoding.EncodeToString(sum[:]) {
			detail = "not the body's MD5"
		}
		a.add(signature.AspectROAContentMD5, ValueSent, detail)
	} else {
		a.add(signature.AspectROAContentMD5, ValueAbsent, "")
	}
	if req.Method == http.MethodGet && len(body) == 0 {
		if ct, ok := header(req.Header, signature.HeaderContentType); ok {
			a.add(signature.AspectROAGetContentType, ct, "")
		} else {
			a.add(signature.AspectROAGetContentType, ValueAbsent, "")
		}
	}
	a.accept(req)
	m, _ := header(req.Header, signature.HeaderACSSignatureMethod)
	v, _ := header(req.Header, signature.HeaderACSSignatureVersion)
	a.add(RuleSignatureMethod, strings.TrimSpace(m+" "+v), "")
	var signed []string
	for k := range req.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-acs-") {
			signed = append(signed, strings.ToLower(k))
		}
	}
	slices.Sort(signed)
	a.add(RuleSignedHeaders, strings.Join(slices.Compact(signed), ";"), "every x-acs-* header present, and Accept, Content-MD5, Content-Type, Date")
	a.signatureROA(req, query, o)
}

func (a *analysis) v3(req *http.Request, query signature.Params, body []byte, at time.Time, o Options) {
	a.Action = req.Header.Get(signature.HeaderACSAction)
	if d, ok := header(req.Header, signature.HeaderACSDate); ok {
		a.timestamp(d, false, at, o.Skew)
	} else {
		a.add(RuleTimestampForm, ValueAbsent, "no x-acs-date header")
	}
	if nonce, ok := header(req.Header, signature.HeaderACSNonce); ok {
		a.nonceSeen(nonce)
	} else {
		a.add(RuleNonceForm, ValueAbsent, "")
	}
	a.accept(req)
	switch sum, ok := header(req.Header, signature.HeaderACSContentSHA256); {
	case !ok:
		a.add(RuleV3ContentSHA256, ValueAbsent, "")
	case sum == signature.ContentSHA256(body):
		a.add(RuleV3ContentSHA256, ValueMatches, "")
	default:
		a.add(RuleV3ContentSHA256, ValueMismatch, "")
	}
	auth, err := signature.ParseV3Authorization(req.Header.Get(signature.HeaderAuthorization))
	m, _ := signature.NewMessage(req)
	a.add(RuleSignatureMethod, auth.Algorithm, "")
	if err == nil {
		if missing := signature.UnsignedV3Headers(&m, auth.SignedHeaders); len(missing) > 0 {
			a.add(RuleSignedHeaders, strings.Join(auth.SignedHeaders, ";"), "leaves out "+strings.Join(missing, ", "))
		} else {
			a.add(RuleSignedHeaders, strings.Join(auth.SignedHeaders, ";"), "")
		}
	}
	a.signatureV3(req, query, o)
}

func (a *analysis) accept(req *http.Request) {
	if v, ok := header(req.Header, signature.HeaderAccept); ok {
		a.add(RuleAccept, v, "")
	} else {
		a.add(RuleAccept, ValueAbsent, "")
	}
}

// header returns the first value of a header, any case, and whether the
// request carries it.
func header(h http.Header, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// The timestamp forms of docs/protocol.md §1.1, §2.1, §3.1 and §4.1.
var (
	isoZ       = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	isoFrac    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$`)
	isoOffset  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$`)
	isoNoZone  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$`)
	uuidShape  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hex32Shape = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// timestamp records the form of a Timestamp or x-acs-date (httpDate false)
// or a ROA Date, and its skew from at.
func (a *analysis) timestamp(ts string, httpDate bool, at time.Time, window time.Duration) {
	var t time.Time
	var err error
	form := ValueUnparseable
	if httpDate {
		if t, err = time.Parse(http.TimeFormat, ts); err == nil {
			form = ValueRFC1123
		} else {
			for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC} {
				if t, err = time.Parse(layout, ts); err == nil {
					form = "another date form (" + layout + ")"
					break
				}
			}
		}
	} else {
		switch {
		case isoZ.MatchString(ts):
			form = ValueISOZ
		case isoFrac.MatchString(ts):
			form = ValueISOFraction
		case isoOffset.MatchString(ts):
			form = ValueISOOffset
		case isoNoZone.MatchString(ts):
			form = ValueISONoZone
		}
		if form != ValueUnparseable {
			t, err = time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				t, err = time.Parse("2006-01-02T15:04:05.999999999", ts) // zoneless, read as UTC (docs/protocol.md §9 F2)
			}
		}
	}
	a.add(RuleTimestampForm, form, "")
	if err != nil || form == ValueUnparseable {
		return
	}
	skew := t.Sub(at)
	value := ValueInWindow
	if skew > window || skew < -window {
		value = ValueOutOfWindow
	}
	a.add(RuleTimestampSkew, value, fmt.Sprintf("%+.1f s", skew.Seconds()))
}

// nonceSeen records the form of a nonce and keeps it for the uniqueness
// check (its value is never written).
func (a *analysis) nonceSeen(nonce string) {
	form := fmt.Sprintf("other (%d characters)", len(nonce))
	switch {
	case nonce == "":
		form = ValueEmpty
	case hex32Shape.MatchString(nonce):
		form = ValueHex32
	case uuidShape.MatchString(nonce):
		form = ValueUUID
	}
	a.add(RuleNonceForm, form, "")
	a.nonce = &nonce
}

// wire records how the query strings and form bodies in raw encode a
// space, '~' and '*' (docs/protocol.md §1.3, §1.5): what a gateway must decode.
func (a *analysis) wire(raw []string) {
	all := strings.Join(raw, "&")
	upper := strings.ToUpper(all)
	for _, c := range []struct {
		rule, literal, escaped string
	}{
		{RuleWireSpace, "+", "%20"},
		{RuleWireTilde, "~", "%7E"},
		{RuleWireStar, "*", "%2A"},
	} {
		if strings.Contains(all, c.literal) {
			a.add(c.rule, c.literal, "")
		}
		if strings.Contains(upper, c.escaped) {
			a.add(c.rule, c.escaped, "")
		}
	}
}
