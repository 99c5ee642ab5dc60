package corpus

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// The hard cases of docs/protocol.md §1.3 and §7 that random requests are made of.
// The property tests of the signature package draw from the same tables.
var (
	// Atoms are the pieces random values are made of: every character that
	// percent-encoding, form decoding or sorting treats specially, plus CJK,
	// Indonesian text, emoji and é.
	Atoms = []string{
		" ", "*", "~", "+", "/", "%", "=", "&", "'", `"`, "!", "(", ")", "中文消息", "Antrian Pesan untuk MQTT, uji coba!",
		"😀", "é", "a", "Z", "0", "9", "-", "_", ".", ",", ":", ";", "?", "#", "@", "$", "[", "]", "<", ">", "|", "^", "`",
		"%20", "%2B", "%7E", "hello world", "t/a/b", "100%", "a=b&c=d", "!'()*", "a+b",
	}
	// PathAtoms are the pieces of a ROA path that aliyun-sdk puts on the
	// wire as they are (RoaRequest.buildPath, BuildUrl): no '%', '?', '#'
	// or '[' ']' (path parameter brackets), which a raw URL cannot carry.
	PathAtoms = []string{
		"a", "Z", "0", "-", "_", ".", "~", ":", "@", "!", "$", "'", "(", ")", "*", "+", ",", ";", "=", "&", " ",
		"中文消息", "é", "😀", "users", "v1",
	}
	// Names are parameter names: mixed-case pairs, Key.N lists (Key.10
	// sorts before Key.2), and names that need no encoding.
	Names = func() []string {
		n := []string{"InstanceId", "instanceId", "Payload", "payload", "MqttTopic", "ClientId", "TopicName", "PageSize",
			"a", "A", "b", "_x", "x-y", "z.z", "Tag.1.Key", "Tag.1.Value", "Tag.10.Key", "Tag.2.Key", "~tilde"}
		for i := 1; i <= 12; i++ {
			n = append(n, fmt.Sprintf("Key.%d", i))
		}
		return n
	}()
	// Secrets include '&' (RPC appends another), '/', non-ASCII. They are
	// test values, made up for the cases.
	Secrets = []string{"testsecret", "s&e/crét", "&", "/", "a&b&", "密钥/key", "😀&é", "accessKeySecret", "+/=="}
	// KeyIDs are AccessKey IDs of the shapes seen in the wild.
	KeyIDs = []string{"testid", "LTAI5tAbCdEfGhIjKlMn", "accessKeyId", "STS.NUgYrLnoC37mZZCNnAbez2mYt"}
)

// Rand draws the pieces of random hard requests from the tables above.
type Rand struct{ *rand.Rand }

// NewRand returns a Rand on a PCG stream: the same seed and stream give
// the same requests.
func NewRand(seed, stream uint64) Rand { return Rand{rand.New(rand.NewPCG(seed, stream))} }

// Pick returns one element of s.
func (r Rand) Pick(s []string) string { return s[r.IntN(len(s))] }

// Value returns a random value, empty one time in eight.
func (r Rand) Value() string {
	if r.IntN(8) == 0 {
		return ""
	}
	return r.Join(Atoms, 1+r.IntN(5))
}

// Join returns n atoms drawn from atoms, concatenated.
func (r Rand) Join(atoms []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(r.Pick(atoms))
	}
	return b.String()
}

// Name returns a parameter name; with encode, one time in eight a name
// made of hard characters.
func (r Rand) Name(encode bool) string {
	if encode && r.IntN(8) == 0 {
		return "k" + r.Join(Atoms, 1+r.IntN(3))
	}
	return r.Pick(Names)
}

// Secret returns a listed secret, or one time in four a random one.
func (r Rand) Secret() string {
	if r.IntN(4) == 0 {
		return "s" + r.Join(Atoms, 1+r.IntN(4))
	}
	return r.Pick(Secrets)
}

// HeaderValue returns a header value without control characters. With
// padded, it may start or end with spaces (V3 trims them like the SDKs);
// without, it never does: the ROA signers of the SDKs sign a value
// untrimmed while HTTP trims it in transit.
func (r Rand) HeaderValue(padded bool) string {
	v := ""
	if r.IntN(6) != 0 {
		v = r.Join(Atoms, 1+r.IntN(4))
	}
	if !padded {
		return strings.Trim(v, " ")
	}
	if r.IntN(4) == 0 {
		v = " " + v + "  "
	}
	return v
}

// Path returns a decoded path of one to four segments drawn from atoms,
// with a trailing slash one time in six.
func (r Rand) Path(atoms []string) string {
	var b strings.Builder
	for range 1 + r.IntN(4) {
		b.WriteByte('/')
		b.WriteString(r.Join(atoms, 1+r.IntN(3)))
	}
	if r.IntN(6) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// Shuffle shuffles p in place and returns it.
func (r Rand) Shuffle(p signature.Params) signature.Params {
	r.Rand.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// Hex returns n random lowercase hex digits.
func (r Rand) Hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdef"[r.IntN(16)]
	}
	return string(b)
}

// time returns a random second between 2017 and 2029.
func (r Rand) time() time.Time {
	return time.Unix(1_500_000_000+r.Int64N(400_000_000), 0).UTC()
}

// nonce returns 32 lowercase hex digits, as the SDKs send, or one time in
// four a UUID, as the docs recommend (docs/protocol.md §1.1).
func (r Rand) nonce() string {
	if r.IntN(4) == 0 {
		h := r.Hex(32)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	return r.Hex(32)
}

// uniqueNames draws n distinct names not in taken.
func (r Rand) uniqueNames(n int, encode bool, taken map[string]bool) []string {
	var out []string
	for range n {
		k := r.Name(encode)
		if taken[k] {
			continue
		}
		taken[k] = true
		out = append(out, k)
	}
	return out
}

// Random returns n random hard cases of style, drawn from seed: the same
// style, seed and n give the same cases, and the first k of n cases are
// the cases of n = k. Every case stays within what the official SDKs agree
// on (see each generator), so that any correct signer passes it.
func Random(style signature.Style, n int, seed uint64) ([]Case, error) {
	var gen func(r Rand) Input
	var stream uint64
	switch style {
	case signature.RPC:
		gen, stream = randomRPC, 1
	case signature.ROA:
		gen, stream = randomROA, 2
	case signature.V3:
		gen, stream = randomV3, 3
	default:
		return nil, fmt.Errorf("unknown signing style %q: use rpc, roa or v3", style)
	}
	r := NewRand(seed, stream)
	out := make([]Case, 0, n)
	for i := range n {
		in := gen(r)
		in.ID = fmt.Sprintf("random/%s/%04d", style, i+1)
		in.Style = style
		steps, err := Sign(&in)
		if err != nil {
			return nil, err
		}
		out = append(out, Case{Input: in, Source: fmt.Sprintf("random %s case %d of seed %d", style, i+1, seed), Expect: steps})
	}
	return out, nil
}

// randomRPC draws an RPC request as aliyun-sdk or darabonba would send it
// (docs/protocol.md §1.1): the common parameters, sometimes RegionId and
// SignatureType=, and up to a dozen API parameters of hard names and
// values; on POST about half go into a form body, which a gateway reads on
// POST only (docs/protocol.md §1.6). Names never repeat: the SDKs hold parameters
// in maps.
func randomRPC(r Rand) Input {
	in := Input{Method: r.Pick([]string{http.MethodGet, http.MethodPost}), Path: "/",
		Host:        r.Pick([]string{"onsmqtt.cn-hangzhou.aliyuncs.com", "amqp-open.cn-shanghai.aliyuncs.com", "127.0.0.1:8080"}),
		AccessKeyID: r.Pick(KeyIDs), Secret: r.Secret(), Nonce: r.nonce(),
		Timestamp: string(signature.AppendTimestamp(nil, r.time())), Headers: []Pair{}}
	q := []Pair{
		{signature.ParamAccessKeyID, in.AccessKeyID},
		{signature.ParamAction, r.Pick([]string{"SendMessage", "ListInstances", "", "Send Message*~"})},
		{signature.ParamFormat, r.Pick([]string{"JSON", "XML", "json"})},
		{signature.ParamSignatureMethod, signature.SignatureMethodHMACSHA1},
		{signature.ParamSignatureNonce, in.Nonce},
		{signature.ParamSignatureVersion, signature.SignatureVersion10},
		{signature.ParamTimestamp, in.Timestamp},
		{signature.ParamVersion, r.Pick([]string{"2020-04-20", "2019-12-12", ""})},
	}
	if r.IntN(2) == 0 {
		q = append(q, Pair{"SignatureType", ""})
	}
	if r.IntN(3) == 0 {
		q = append(q, Pair{"RegionId", r.Pick([]string{"cn-hangzhou", "ap-southeast-5", r.Value()})})
	}
	taken := map[string]bool{}
	for _, kv := range q {
		taken[kv[0]] = true
	}
	var form []Pair
	for _, k := range r.uniqueNames(r.IntN(12), true, taken) {
		if in.Method == http.MethodPost && r.IntN(2) == 0 {
			form = append(form, Pair{k, r.Value()})
		} else {
			q = append(q, Pair{k, r.Value()})
		}
	}
	in.Query = pairs(Params(q).Sorted())
	if len(form) > 0 {
		in.Form = pairs(Params(form).Sorted()) // as url.Values.Encode sends it
		in.Body = string(signature.AppendQuery(nil, Params(in.Form), true))
		in.Headers = append(in.Headers, Pair{signature.HeaderContentType, "application/x-www-form-urlencoded"})
	}
	return in
}

// randomROA draws a ROA request within what alibaba-cloud-sdk-go,
// openapi-util and darabonba sign alike (docs/protocol.md §2.2):
//   - extra x-acs-* headers are lowercase: aliyun-sdk signs only keys with
//     the lowercase prefix (roa_signature_composer.go:109);
//   - header values have no surrounding white space (see HeaderValue);
//   - the path holds no '%', '?', '#', '[' or ']' (see PathAtoms);
//   - no header repeats: the SDKs hold headers in maps.
//
// Accept, Content-MD5 and Content-Type are each absent now and then, as
// darabonba omits Content-MD5 (docs/protocol.md §2.1): the line stays, empty.
func randomROA(r Rand) Input {
	in := Input{Method: r.Pick([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}),
		Host:        r.Pick([]string{"cs.cn-hangzhou.aliyuncs.com", "ros.aliyuncs.com", "127.0.0.1"}),
		Path:        r.Path(PathAtoms),
		AccessKeyID: r.Pick(KeyIDs), Secret: r.Secret()}
	if r.IntN(3) == 0 {
		in.Path += "/" + r.Join(PathAtoms, 1+r.IntN(3))
	}
	for _, k := range r.uniqueNames(r.IntN(8), true, map[string]bool{}) {
		in.Query = append(in.Query, Pair{k, r.Value()})
	}
	if in.Query == nil {
		in.Query = []Pair{}
	}
	var contentType string
	if in.Method == http.MethodPost || in.Method == http.MethodPut {
		switch r.IntN(3) {
		case 0:
			var form signature.Params
			for _, k := range r.uniqueNames(1+r.IntN(4), true, map[string]bool{}) {
				form = append(form, signature.Param{Key: k, Value: r.Value()})
			}
			in.Body, contentType = string(signature.AppendQuery(nil, form, true)), "application/x-www-form-urlencoded"
		case 1:
			in.Body = r.Value() + "x"
			contentType = r.Pick([]string{"application/json", "application/json; charset=utf-8", "text/plain", "application/octet-stream"})
		}
	} else if r.IntN(2) == 0 {
		contentType = "application/octet-stream" // aliyun-sdk on a GET (docs/protocol.md §7.14)
	}
	t := r.time()
	in.Timestamp = string(signature.AppendDate(nil, t))
	h := []Pair{}
	if r.IntN(6) != 0 {
		h = append(h, Pair{signature.HeaderAccept, r.Pick([]string{"application/json", "application/xml", "application/octet-stream"})})
	}
	if r.IntN(2) == 0 {
		sum := md5.Sum([]byte(in.Body))
		h = append(h, Pair{signature.HeaderContentMD5, base64.StdEncoding.EncodeToString(sum[:])})
	}
	if contentType != "" {
		h = append(h, Pair{signature.HeaderContentType, contentType})
	}
	h = append(h, Pair{signature.HeaderDate, in.Timestamp},
		Pair{signature.HeaderACSSignatureMethod, signature.SignatureMethodHMACSHA1},
		Pair{signature.HeaderACSSignatureVersion, signature.SignatureVersion10},
		Pair{signature.HeaderACSVersion, r.Pick([]string{"2015-12-15", "2019-12-11", ""})})
	if r.IntN(2) == 0 {
		h = append(h, Pair{signature.HeaderACSAction, r.Pick([]string{"DescribeClusters", "ListStacks", "Send Message"})})
	}
	if r.IntN(2) == 0 {
		in.Nonce = r.nonce()
		h = append(h, Pair{signature.HeaderACSNonce, in.Nonce})
	}
	if r.IntN(2) == 0 {
		h = append(h, Pair{signature.HeaderACSCredentialsSource, "static_ak"})
	}
	seen := map[string]bool{}
	for _, kv := range h {
		seen[strings.ToLower(kv[0])] = true
	}
	for range r.IntN(4) {
		name := "x-acs-" + r.Pick([]string{"region-id", "foo", "custom-header", "a.b", "z", "meta-x"})
		if !seen[name] {
			seen[name] = true
			h = append(h, Pair{name, r.HeaderValue(false)})
		}
	}
	if r.IntN(3) == 0 {
		h = append(h, Pair{"User-Agent", "AlibabaCloud (linux; amd64) Go/1.26 Core/1.63.107"}) // sent, never signed
	}
	in.Headers = h
	return in
}

// randomV3 draws a V3 request the way darabonba's DoRequest builds one:
// the x-acs-* headers of docs/protocol.md §3.1, accept and user-agent (sent, not
// signed), sometimes x-acs-credentials-provider, extra x-acs-* headers of
// any case with padded values, now and then one header under two spellings
// (the SDKs sort and join their values), a form, raw or empty body hashed
// into x-acs-content-sha256, and a path of hard characters (every byte but
// '/' encoded). Query names need no percent-encoding: both SDKs leave names
// unencoded in the canonical query, unlike the spec's pe(k) (docs/protocol.md §3.2).
func randomV3(r Rand) Input {
	in := Input{Method: r.Pick([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}),
		Host: r.Pick([]string{"ecs.cn-shanghai.aliyuncs.com", "onsmqtt.cn-hangzhou.aliyuncs.com", "127.0.0.1:8080"}),
		Path: "/", AccessKeyID: r.Pick(KeyIDs), Secret: r.Secret(), Nonce: r.nonce(),
		Timestamp: string(signature.AppendTimestamp(nil, r.time()))}
	if r.IntN(2) == 0 {
		in.Path = r.Path(Atoms)
	}
	for _, k := range r.uniqueNames(r.IntN(8), false, map[string]bool{}) {
		in.Query = append(in.Query, Pair{k, r.Value()})
	}
	if in.Query == nil {
		in.Query = []Pair{}
	}
	h := []Pair{
		{signature.HeaderACSAction, r.Pick([]string{"RunInstances", "SendMessage", "Send Message*"})},
		{signature.HeaderACSVersion, r.Pick([]string{"2014-05-26", "2020-04-20", ""})},
		{signature.HeaderACSDate, in.Timestamp},
		{signature.HeaderACSNonce, in.Nonce},
		{"accept", "application/json"},
		{"user-agent", "AlibabaCloud (linux; amd64) Go/1.26 Core/0.01 TeaDSL/1"},
	}
	if r.IntN(2) == 0 {
		h = append(h, Pair{signature.HeaderACSCredentialsSource, "static_ak"})
	}
	seen := map[string]bool{}
	for range r.IntN(4) {
		name := r.Pick([]string{"x-acs-region-id", "x-acs-foo", "X-Acs-Mixed", "x-acs-a.b", "x-acs-meta-x"})
		if !seen[name] {
			seen[name] = true
			h = append(h, Pair{name, r.HeaderValue(true)})
		}
	}
	if r.IntN(16) == 0 {
		h = append(h, Pair{"x-acs-dup", r.HeaderValue(true)}, Pair{"X-Acs-Dup", r.HeaderValue(true)})
	}
	switch r.IntN(3) {
	case 0:
		var form signature.Params
		for _, k := range r.uniqueNames(1+r.IntN(4), true, map[string]bool{}) {
			form = append(form, signature.Param{Key: k, Value: r.Value()})
		}
		in.Body = string(signature.AppendQuery(nil, form, false))
		h = append(h, Pair{"content-type", "application/x-www-form-urlencoded"})
	case 1:
		in.Body = r.Value()
		h = append(h, Pair{"content-type", r.Pick([]string{"application/octet-stream", "application/json; charset=utf-8"})})
	}
	h = append(h, Pair{signature.HeaderACSContentSHA256, signature.ContentSHA256([]byte(in.Body))})
	in.Headers = h
	return in
}
