package gateway

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/signature"
)

// The oracle: the reflective encoders the gateway answered with before
// wire (encoding/json without HTML escaping, encoding/xml, then the XML's
// over-escapes undone). wire must write exactly what they write.

type oracleErrorJSON struct {
	RequestId string `json:"RequestId"` //nolint:revive // the wire name
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
	HostId    string `json:"HostId"` //nolint:revive
	Code      string `json:"Code"`
}

type oracleBusinessErrorJSON struct {
	RequestId string `json:"RequestId"` //nolint:revive // the wire name
	HostId    string `json:"HostId"`    //nolint:revive
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

type oracleErrorXML struct {
	XMLName   xml.Name    `xml:"Error"`
	RequestId string      `xml:"RequestId"` //nolint:revive // the wire name
	HostId    string      `xml:"HostId"`    //nolint:revive
	Code      string      `xml:"Code"`
	Message   string      `xml:"Message"`
	Recommend oracleCDATA `xml:"Recommend"`
}

type oracleCDATA string

func (c oracleCDATA) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		S string `xml:",cdata"`
	}{string(c)}, start)
}

// oracleUnescape undoes encoding/xml's escapes of '"', '\”, '\n' and '\t'
// over a whole document, as the gateway did.
func oracleUnescape(b []byte) []byte {
	for _, e := range []struct{ esc, raw string }{{"&#34;", "\""}, {"&#39;", "'"}, {"&#xA;", "\n"}, {"&#x9;", "\t"}} {
		b = bytes.ReplaceAll(b, []byte(e.esc), []byte(e.raw))
	}
	return b
}

func oracleJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func oracleSuccess(t *testing.T, format, action string, body response) []byte {
	t.Helper()
	if format == FormatJSON {
		return oracleJSON(t, body)
	}
	var buf bytes.Buffer
	buf.WriteString(xmlProlog)
	require.NoError(t, xml.NewEncoder(&buf).EncodeElement(body, xml.StartElement{Name: xml.Name{Local: action + "Response"}}))
	return oracleUnescape(buf.Bytes())
}

func oracleError(t *testing.T, rp *reply, e *apiError) []byte {
	t.Helper()
	rec := rp.recommend(e.Code)
	switch {
	case rp.format == FormatXML:
		var buf bytes.Buffer
		buf.WriteString(xmlProlog)
		require.NoError(t, xml.NewEncoder(&buf).Encode(oracleErrorXML{RequestId: rp.requestID, HostId: rp.hostID, Code: e.Code,
			Message: e.Message, Recommend: oracleCDATA(rec)}))
		return oracleUnescape(buf.Bytes())
	case rp.business:
		return oracleJSON(t, oracleBusinessErrorJSON{RequestId: rp.requestID, HostId: rp.hostID, Code: e.Code, Message: e.Message, Recommend: rec})
	}
	return oracleJSON(t, oracleErrorJSON{RequestId: rp.requestID, Message: e.Message, Recommend: rec, HostId: rp.hostID, Code: e.Code})
}

func wireSuccess(format, action string, body response) []byte {
	w := &wire{xml: format == FormatXML}
	w.success(action, body)
	return w.b
}

func wireError(rp *reply, e *apiError) []byte {
	w := &wire{xml: rp.format == FormatXML}
	w.failure(rp, e)
	return w.b
}

// actionResponses runs every action of every product's backend, in the
// order declared (a group or virtual host is created before it is
// deleted), twice, and returns each response.
func actionResponses(t *testing.T) map[string][]response {
	t.Helper()
	g, err := New(Config{})
	require.NoError(t, err)
	p := signature.Params{
		{Key: "InstanceId", Value: "inst-1"}, {Key: "GroupId", Value: "GID_wire_test"}, {Key: "VirtualHost", Value: "vh\"1"},
		{Key: "MqttTopic", Value: "t/1"}, {Key: "Payload", Value: "hello"}, {Key: "MaxResults", Value: "1"},
		{Key: "appName", Value: "a&b"}, {Key: "env", Value: "<prod>"}, {Key: "tag", Value: "x\ny"},
	}
	out := map[string][]response{}
	for range 2 {
		for _, b := range g.backends {
			for _, a := range append(append([]*action(nil), b.routes...), appEnvAction()) {
				res, apiErr := b.call(a, p, MissingPlain)
				require.Nil(t, apiErr, "%s %s answers", b.profile.Code, a.name)
				res.setRequestID(newRequestID())
				out[a.name] = append(out[a.name], res)
			}
		}
	}
	return out
}

// TestWireEveryAction writes every action's response in both formats and
// compares it byte for byte with the reflective encoders'.
func TestWireEveryAction(t *testing.T) {
	t.Parallel()
	responses := actionResponses(t)
	for _, name := range []string{"ListGroupId", "CreateGroupId", "DeleteGroupId", "SendMessage", "ListInstances",
		"ListVirtualHosts", "CreateVirtualHost", "DeleteVirtualHost", AppEnvAction} {
		assert.Contains(t, responses, name, "the action %s was run", name)
	}
	for name, list := range responses {
		for i, res := range list {
			for _, format := range []string{FormatJSON, FormatXML} {
				assert.Equal(t, string(oracleSuccess(t, format, name, res)), string(wireSuccess(format, name, res)),
					"%s #%d in %s: wire writes what the reflective encoder wrote", name, i, format)
			}
		}
	}
}

// randomText returns a string of pieces that matter to the encoders and
// random bytes, valid UTF-8 or not.
func randomText(r *rand.Rand) string {
	pieces := []string{"\"", "'", "&", "<", ">", "\n", "\t", "\r", "]]>", "]]", "&#34;", "&#39;", "&#xA;", "&#x9;", "&#xD;", "&#",
		"\\", "\u2028", "\u2029", "世", "\ufffd", "\xff", "\xe4\xb8", "\uFFFE", "\uFFFF", "\U0001F600", "\x00", "\x1f", "\x7f", "abc", " "}
	var b strings.Builder
	for range r.IntN(12) {
		if r.IntN(3) == 0 {
			b.WriteByte(byte(r.IntN(256)))
		} else {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
	}
	return b.String()
}

// fillRandom sets every settable field of v at random: strings from
// randomText, any integer, both booleans, slices nil, empty or of up to
// three items.
func fillRandom(v reflect.Value, r *rand.Rand) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(randomText(r))
	case reflect.Int, reflect.Int64:
		n := int64(r.Uint64()) >> r.IntN(64)
		v.SetInt(n)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() || v.Type().Field(i).Anonymous {
				fillRandom(f, r)
			}
		}
	case reflect.Slice:
		switch n := r.IntN(5); n {
		case 0:
			v.SetZero()
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fillRandom(s.Index(i), r)
			}
			v.Set(s)
		}
	}
}

// TestWireRandom fills every response type with random values and
// compares wire with the reflective encoders, in both formats.
func TestWireRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 2026))
	types := map[reflect.Type]string{}
	for name, list := range actionResponses(t) {
		types[reflect.TypeOf(list[0]).Elem()] = name
	}
	require.Len(t, types, 7, "the distinct response types of the actions")
	for typ, action := range types {
		for i := range 300 {
			v := reflect.New(typ)
			fillRandom(v.Elem(), r)
			res := v.Interface().(response)
			for _, format := range []string{FormatJSON, FormatXML} {
				want, got := oracleSuccess(t, format, action, res), wireSuccess(format, action, res)
				if !assert.Equal(t, string(want), string(got), "%s #%d in %s", typ, i, format) {
					return
				}
			}
		}
	}
}

// TestWireErrorsRandom writes error envelopes of random text, the
// gateway's and a backend's, with and without a product, in both formats.
func TestWireErrorsRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 13))
	for i := range 3000 {
		rp := &reply{requestID: randomText(r), hostID: randomText(r), business: r.IntN(2) == 0,
			format: []string{FormatJSON, FormatXML}[r.IntN(2)]}
		if r.IntN(3) > 0 {
			rp.product = randomText(r)
		}
		e := &apiError{Status: 400, Code: randomText(r), Message: randomText(r)}
		want, got := oracleError(t, rp, e), wireError(rp, e)
		if !assert.Equal(t, string(want), string(got), "error #%d: %+v %+v", i, rp, e) {
			return
		}
	}
}

// FuzzWire checks wire against the reflective encoders on any strings,
// integer and boolean, in every response type and error envelope.
func FuzzWire(f *testing.F) {
	f.Add(tricky, "", int64(0), false)
	f.Add("]]>&#34;\r", "\xff\x00", int64(-1), true)
	f.Add("plain", "世界\u2028", int64(1<<62), true)
	f.Fuzz(func(t *testing.T, s1, s2 string, n int64, b bool) {
		alt := false
		var set func(v reflect.Value)
		set = func(v reflect.Value) {
			switch v.Kind() {
			case reflect.String:
				if alt = !alt; alt {
					v.SetString(s1)
				} else {
					v.SetString(s2)
				}
			case reflect.Int, reflect.Int64:
				v.SetInt(n)
			case reflect.Bool:
				v.SetBool(b)
			case reflect.Struct:
				for i := range v.NumField() {
					set(v.Field(i))
				}
			case reflect.Slice:
				if b {
					s := reflect.MakeSlice(v.Type(), 2, 2)
					set(s.Index(0))
					set(s.Index(1))
					v.Set(s)
				}
			}
		}
		for _, res := range []response{&listGroupIDResponse{}, &helpURLResponse{}, &sendMessageResponse{}, &listInstancesResponse{},
			&listVirtualHostsResponse{}, &emptyResponse{}, &appEnvResponse{}} {
			set(reflect.ValueOf(res).Elem())
			for _, format := range []string{FormatJSON, FormatXML} {
				require.Equal(t, string(oracleSuccess(t, format, "Fuzz", res)), string(wireSuccess(format, "Fuzz", res)), "%T in %s", res, format)
			}
		}
		for _, rp := range []*reply{{requestID: s1, hostID: s2, product: s2, business: b}, {requestID: s2, hostID: s1}} {
			for _, format := range []string{FormatJSON, FormatXML} {
				rp.format = format
				e := &apiError{Status: 400, Code: s1, Message: s2}
				require.Equal(t, string(oracleError(t, rp, e)), string(wireError(rp, e)), "error in %s", format)
			}
		}
	})
}

// TestPlainWords checks the word-at-a-time scan of the escapers against a
// byte loop: every byte value at every place of a word, and random text.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	model := func(s string, special ...byte) int {
		i := 0
		for i < len(s) && s[i] >= 0x20 && s[i] < 0x80 && !slices.Contains(special, s[i]) {
			i++
		}
		return i / 8 * 8
	}
	sets := [][]byte{{'"', '\\', '"'}, {'&', '<', '>'}, {0, 0, 0}}
	for _, special := range sets {
		for pos := range 20 {
			for c := range 256 {
				b := []byte(strings.Repeat("a~ Zz09", 4)[:21])
				b[pos] = byte(c)
				s := string(b)
				require.Equal(t, model(s, special...), plainWords(s, special[0], special[1], special[2]), "byte %#x at %d of %q, specials %q", c, pos, s, special)
			}
		}
		r := rand.New(rand.NewPCG(uint64(len(special)), 7))
		for range 2000 {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(0x20 + r.IntN(0x5f))
				if r.IntN(30) == 0 {
					b[i] = byte(r.IntN(256))
				}
			}
			s := string(b)
			require.Equal(t, model(s, special...), plainWords(s, special[0], special[1], special[2]), "%q, specials %q", s, special)
		}
	}
}
