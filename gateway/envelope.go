package gateway

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Response formats.
const (
	FormatJSON = "JSON"
	FormatXML  = "XML"
)

// Content types of the two formats, exactly (pop-spec §5; darabonba decides
// how to parse an error on this string).
const (
	ContentTypeJSON = "application/json;charset=utf-8"
	ContentTypeXML  = "text/xml;charset=utf-8"
)

// Response headers (pop-spec §5).
const (
	HeaderRequestID = "X-Acs-Request-Id"
	HeaderTraceID   = "X-Acs-Trace-Id"
)

// newRequestID returns an uppercase 8-4-4-4-12 UUID (version 4), the shape
// of every RequestId (pop-spec §5).
func newRequestID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexUpper = "0123456789ABCDEF"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexUpper[c>>4], hexUpper[c&15]
		j += 2
	}
	return string(b[:])
}

func newTraceID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return hex.EncodeToString(u[:])
}

// base is embedded first in every success body: the RequestId field.
type base struct {
	RequestId string `json:"RequestId" xml:"RequestId"` //nolint:revive // the wire name
}

func (b *base) setRequestID(id string) { b.RequestId = id }

type requestIDSetter interface{ setRequestID(string) }

// errorJSON is the JSON error envelope of the gateway's own checks, in the
// current field order (pop-spec §5); clients must ignore the order.
type errorJSON struct {
	RequestId string `json:"RequestId"` //nolint:revive // the wire name
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
	HostId    string `json:"HostId"` //nolint:revive
	Code      string `json:"Code"`
}

// businessErrorJSON is the JSON error envelope of a backend (business)
// error, in its own field order (pop-spec §9 F10).
type businessErrorJSON struct {
	RequestId string `json:"RequestId"` //nolint:revive // the wire name
	HostId    string `json:"HostId"`    //nolint:revive
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

// errorXML is the XML error envelope, rooted at <Error> (pop-spec §5).
type errorXML struct {
	XMLName   xml.Name `xml:"Error"`
	RequestId string   `xml:"RequestId"` //nolint:revive // the wire name
	HostId    string   `xml:"HostId"`    //nolint:revive
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Recommend cdata    `xml:"Recommend"`
}

// cdata writes its text as a CDATA section in XML, as the real gateway
// writes Recommend, and as a plain string in JSON.
type cdata string

func (c cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		S string `xml:",cdata"`
	}{string(c)}, start)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// reply is what the gateway needs to answer one request.
type reply struct {
	requestID string
	hostID    string
	format    string // FormatJSON or FormatXML
	product   string // the product in Recommend links ("OnsMqtt")
	business  bool   // the error is the backend's, not the gateway's (pop-spec §9 F10)

	// Set only by faults of the self-test.
	headerID string         // x-acs-request-id when it must differ from requestID
	xmlRoot  string         // a success XML root to use instead of <{Action}Response>
	fault    *envelopeFault // the faults that change headers and bodies
}

// headers sets the headers of every answer (pop-spec §5, §9 F11): the
// request and trace IDs, and the CORS headers that let a browser call the
// gateway and read x-acs-request-id (Access-Control-Expose-Headers).
func (rp *reply) headers(w http.ResponseWriter, contentType string, n int) {
	h := w.Header()
	id := rp.requestID
	if rp.headerID != "" {
		id = rp.headerID
	}
	// The values share one backing array (one allocation, not one per
	// Header.Set), each capped at its length so that an append copies. The
	// keys are already canonical.
	v := []string{contentType, id, newTraceID(), "*", strconv.Itoa(n), "Accept-Encoding"}
	h["Content-Type"] = v[0:1:1]
	h[HeaderRequestID] = v[1:2:2]
	h[HeaderTraceID] = v[2:3:3]
	h["Access-Control-Allow-Origin"] = v[3:4:4]
	h["Access-Control-Expose-Headers"] = v[3:4:4]
	h["Content-Length"] = v[4:5:5]
	h["Vary"] = v[5:6:6]
	if rp.fault != nil {
		rp.fault.headers(h)
	}
}

// recommend is the troubleshooting link of an error (pop-spec §5), and the
// product-less link when no product is known, never an empty product=
// (pop-spec §9 F12).
func (rp *reply) recommend(code string) string {
	if rp.product == "" {
		return "https://api.aliyun.com/troubleshoot?q=" + code
	}
	return "https://api.aliyun.com/troubleshoot?q=" + code + "&product=" + rp.product + "&requestId=" + rp.requestID
}

// writeError answers e in the request's format.
func (rp *reply) writeError(w http.ResponseWriter, e *apiError) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	ct := ContentTypeJSON
	if rp.format == FormatXML {
		ct = ContentTypeXML
		buf.WriteString(xmlProlog)
		_ = xml.NewEncoder(buf).Encode(errorXML{RequestId: rp.requestID, HostId: rp.hostID, Code: e.Code,
			Message: e.Message, Recommend: cdata(rp.recommend(e.Code))})
		unescapeXMLText(buf)
	} else {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if rp.business {
			_ = enc.Encode(businessErrorJSON{RequestId: rp.requestID, HostId: rp.hostID, Code: e.Code, Message: e.Message,
				Recommend: rp.recommend(e.Code)})
		} else {
			_ = enc.Encode(errorJSON{RequestId: rp.requestID, Message: e.Message, Recommend: rp.recommend(e.Code),
				HostId: rp.hostID, Code: e.Code})
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	out := buf.Bytes()
	if rp.fault != nil {
		ct, out = rp.fault.contentType(ct, true), rp.fault.errorBody(out, rp, e)
	}
	rp.headers(w, ct, len(out))
	w.WriteHeader(e.Status)
	_, _ = w.Write(out)
}

// writeSuccess answers a 200 with body, an action's response struct whose
// RequestId is filled here. XML is rooted at <{Action}Response>.
func (rp *reply) writeSuccess(w http.ResponseWriter, action string, body any) {
	if s, ok := body.(requestIDSetter); ok {
		s.setRequestID(rp.requestID)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	ct := ContentTypeJSON
	if rp.format == FormatXML {
		ct = ContentTypeXML
		buf.WriteString(xmlProlog)
		if err := xml.NewEncoder(buf).EncodeElement(body, xml.StartElement{Name: xml.Name{Local: action + "Response"}}); err != nil {
			rp.writeError(w, errInternal)
			return
		}
		unescapeXMLText(buf)
	} else {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			rp.writeError(w, errInternal)
			return
		}
		buf.Truncate(buf.Len() - 1)
	}
	if rp.fault != nil {
		ct = rp.fault.contentType(ct, false)
	}
	rp.headers(w, ct, buf.Len())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// PreflightMethods are the methods a CORS preflight is told the gateway
// serves: the real gateway's "POST, GET, OPTIONS" (pop-spec §9 F11) and the
// ROA methods.
const PreflightMethods = "POST, GET, OPTIONS, PUT, DELETE, PATCH"

// writePreflight answers a CORS preflight: 200, no body, any origin, the
// methods served, and the request headers the browser asked for (a
// wildcard would not cover Authorization), when they are a plain list of
// header names.
func (rp *reply) writePreflight(w http.ResponseWriter, requested string) {
	h := w.Header()
	h.Set(HeaderRequestID, rp.requestID)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", PreflightMethods)
	if requested != "" && len(requested) <= 1024 && strings.Trim(requested, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ") == "" {
		h.Set("Access-Control-Allow-Headers", requested)
	}
	h.Set("Access-Control-Max-Age", "86400")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// xmlProlog opens every XML answer, success and error alike, with the
// single quotes of the real gateway (pop-spec §7.11, §9 F6).
const xmlProlog = "<?xml version='1.0' encoding='UTF-8'?>"

// xmlOverEscapes are what encoding/xml writes in text beyond what XML
// requires, and the bytes they stand for. The real gateway writes a quote
// and a newline as they are; only '&', '<' and '>' are escaped (pop-spec §9
// F7). A carriage return stays &#xD;: a parser would turn a raw one into a
// newline.
var xmlOverEscapes = [...]struct {
	esc string
	raw byte
}{{"&#34;", '"'}, {"&#39;", '\''}, {"&#xA;", '\n'}, {"&#x9;", '\t'}}

// unescapeXMLText undoes, in place, the escapes of xmlOverEscapes in an
// encoding/xml document without attributes. A literal "&#34;" in the data
// was written "&amp;#34;", so every "&#" here is one of the encoder's
// escapes; CDATA sections (Recommend) carry URLs only.
func unescapeXMLText(buf *bytes.Buffer) {
	b := buf.Bytes()
	if !bytes.Contains(b, []byte("&#")) {
		return
	}
	out := b[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == '&' && i+1 < len(b) && b[i+1] == '#' {
			matched := false
			for _, e := range xmlOverEscapes {
				if bytes.HasPrefix(b[i:], []byte(e.esc)) {
					out = append(out, e.raw)
					i += len(e.esc) - 1
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		out = append(out, b[i])
	}
	buf.Truncate(len(out))
}
