package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// goldenFile is one file of the signature package's golden vectors
// (signature/testdata/vectors/*.json): a family of cases of one style.
// Fields this reader does not know are ignored; the signature package's
// own tests hold the files to their schema.
type goldenFile struct {
	Family string          `json:"family"`
	Style  signature.Style `json:"style"`
	Cases  []goldenCase    `json:"cases"`
}

type goldenCase struct {
	Name          string `json:"name"`
	Source        string `json:"source"`
	Note          string `json:"note"`
	Method        string `json:"method"`
	Params        []Pair `json:"params"`
	Host          string `json:"host"`
	Path          string `json:"path"`
	Query         []Pair `json:"query"`
	Headers       []Pair `json:"headers"`
	Body          string `json:"body"`
	AccessKeyID   string `json:"access_key_id"`
	Secret        string `json:"secret"`
	Canonical     string `json:"canonical"`
	StringToSign  string `json:"string_to_sign"`
	Signature     string `json:"signature"`
	Authorization string `json:"authorization"`
	WireURL       string `json:"wire_url"`
}

// Golden returns every golden vector of the signature package as a case,
// file by file in name order and in file order within a file. The expected
// steps are the file's, which come from the spec and the SDKs; a vector our
// signer does not reproduce byte for byte is an error, so a corpus never
// carries a case the reference disagrees with.
func Golden() ([]Case, error) {
	return goldenFrom(signature.GoldenVectors, signature.GoldenVectorDir)
}

func goldenFrom(fsys fs.FS, dir string) ([]Case, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no golden vector files in %s", dir)
	}
	slices.Sort(names)
	var out []Case
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f goldenFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("golden vectors %s: %v", name, err)
		}
		for _, gc := range f.Cases {
			c, err := gc.toCase(f)
			if err != nil {
				return nil, fmt.Errorf("golden vectors %s, case %s: %w", name, gc.Name, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func (g *goldenCase) toCase(f goldenFile) (Case, error) {
	in := Input{
		ID: "golden/" + f.Family + "/" + g.Name, Style: f.Style, Method: g.Method, Host: g.Host, Path: g.Path,
		Query: g.Query, Headers: g.Headers, Body: g.Body, AccessKeyID: g.AccessKeyID, Secret: g.Secret,
	}
	switch f.Style {
	case signature.RPC:
		// As aliyun-sdk sends them: every parameter in the query (docs/protocol.md §1.5).
		in.Path, in.Query = "/", g.Params
		if g.WireURL != "" {
			u, err := url.Parse(g.WireURL)
			if err != nil {
				return Case{}, fmt.Errorf("wire_url: %v", err)
			}
			if u.Host != "" {
				in.Host = u.Host
			}
		}
		in.Timestamp = first(g.Params, false, signature.ParamTimestamp, "TimeStamp")
		in.Nonce = first(g.Params, false, signature.ParamSignatureNonce)
	case signature.ROA:
		in.Timestamp = first(g.Headers, true, signature.HeaderDate)
		in.Nonce = first(g.Headers, true, signature.HeaderACSNonce)
	case signature.V3:
		in.Timestamp = first(g.Headers, true, signature.HeaderACSDate)
		in.Nonce = first(g.Headers, true, signature.HeaderACSNonce)
	}
	if in.Host == "" {
		in.Host = DefaultHost
	}
	if in.Query == nil {
		in.Query = []Pair{}
	}
	if in.Headers == nil {
		in.Headers = []Pair{}
	}
	ours, err := Sign(&in)
	if err != nil {
		return Case{}, err
	}
	want := Steps{Canonical: g.Canonical, StringToSign: g.StringToSign, Signature: g.Signature, Authorization: g.Authorization, URL: ours.URL}
	c := Case{Input: in, Source: g.Source, Note: g.Note, Expect: want}
	if ours != want {
		// A vector of a form official clients disagree on, signed the way
		// the reference signer does not (an empty ROA value "k=", say).
		m := in.Message()
		for _, alt := range Alternatives(in.Style, &m, signature.Secret(in.Secret)) {
			if alt.Artifacts.Canonical == want.Canonical && alt.Artifacts.StringToSign == want.StringToSign && alt.Artifacts.Signature == want.Signature {
				c.Variant = alt.Forms
			}
		}
		if c.Variant == nil {
			return Case{}, fmt.Errorf("neither the reference signer nor an accepted variant reproduces the vector (signature %q, want %q): fix the signer or the vector", ours.Signature, g.Signature)
		}
	}
	if g.WireURL != "" && f.Style == signature.RPC {
		if err := sameWire(c.Expect.URL, g.WireURL); err != nil {
			return Case{}, err
		}
	}
	return c, nil
}

// sameWire checks our final URL against a vector's wire_url. An absolute
// wire_url (an SDK's whole request, docs/protocol.md §1.7.4) must match byte for
// byte. A path-only one is one official client's wire form, which may encode
// differently from ours (a space as %20 rather than +, signature.Forms): it
// must carry the same parameters once form-decoded.
func sameWire(ours, wire string) error {
	w, err := url.Parse(wire)
	if err != nil {
		return fmt.Errorf("wire_url: %v", err)
	}
	if w.IsAbs() {
		if ours != wire {
			return fmt.Errorf("final URL %s, the vector's wire_url %s", ours, wire)
		}
		return nil
	}
	o, err := url.Parse(ours)
	if err != nil {
		return err
	}
	oq, err1 := url.ParseQuery(o.RawQuery)
	wq, err2 := url.ParseQuery(w.RawQuery)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("wire_url: %v", err)
	}
	if o.Path != w.Path || !maps.EqualFunc(oq, wq, slices.Equal[[]string]) {
		return fmt.Errorf("final URL %s carries other parameters than the vector's wire_url %s", ours, wire)
	}
	return nil
}

// first returns the value of the first pair named one of names, or "".
// Header names (fold) match in any case; parameter names exactly.
func first(ps []Pair, fold bool, names ...string) string {
	for _, kv := range ps {
		for _, n := range names {
			if kv[0] == n || fold && strings.EqualFold(kv[0], n) {
				return kv[1]
			}
		}
	}
	return ""
}
