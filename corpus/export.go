package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/acsharness/acsharness/signature"
)

// The files of one exported case, in its folder. Each step file holds the
// exact bytes of the step, with no trailing newline.
const (
	FileRequest       = "request.http"       // the request before signing, as HTTP/1.1 text
	FileSigned        = "signed.http"        // the request as it goes on the wire, signed
	FileInput         = "input.json"         // the inputs: one request line of the signer protocol
	FileCanonical     = "canonical.txt"      // step 1: the canonical form
	FileStringToSign  = "string-to-sign.txt" // step 2: the string to sign
	FileSignature     = "signature.txt"      // step 3: the signature
	FileAuthorization = "authorization.txt"  // step 4 (ROA, V3): the Authorization header value
	FileURL           = "url.txt"            // the final URL (RPC: with Signature)
	FileSource        = "source.txt"         // where the expected values come from
)

// The files at the top of an exported corpus.
const (
	FileIndex  = "index.json"  // the cases, in order, with their folders
	FileLines  = "cases.jsonl" // every input.json, one per line: the signer protocol's request lines
	FileReadme = "README.md"   // what each file is
)

// Options say what a corpus holds.
type Options struct {
	// Random is the number of random hard cases per style.
	Random int
	// Seed seeds the random cases: the same seed gives the same cases.
	Seed uint64
	// Styles limits the corpus to these styles; nil means all three.
	Styles []signature.Style
}

// Build returns the golden vectors and Random random cases per style, in
// style order (golden first within a style).
func Build(o Options) ([]Case, error) {
	if o.Random < 0 {
		return nil, fmt.Errorf("--random %d: give a count of 0 or more", o.Random)
	}
	styles := o.Styles
	if len(styles) == 0 {
		styles = signature.Styles
	}
	golden, err := Golden()
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, st := range styles {
		for _, c := range golden {
			if c.Input.Style == st {
				out = append(out, c)
			}
		}
		rnd, err := Random(st, o.Random, o.Seed)
		if err != nil {
			return nil, err
		}
		out = append(out, rnd...)
	}
	return out, nil
}

// Index is index.json: what the corpus holds and how it was made.
type Index struct {
	// Generator names the tool and version that wrote the corpus.
	Generator string `json:"generator"`
	Seed      uint64 `json:"seed"`
	// RandomPerStyle is the number of random cases per style.
	RandomPerStyle int          `json:"random_per_style"`
	Cases          []IndexEntry `json:"cases"`
}

// IndexEntry is one case of the index: its ID is its folder.
type IndexEntry struct {
	ID     string          `json:"id"`
	Style  signature.Style `json:"style"`
	Source string          `json:"source"`
	// Variant names the accepted forms a golden case is signed in, when
	// they are not the reference signer's (see Case.Variant).
	Variant []signature.Form `json:"variant,omitempty"`
}

// Export writes cases into dir (created if need be), one folder per case
// named by its ID, with index.json, cases.jsonl and a README.md saying what
// each file is. A folder that is not empty is refused, so that an export
// never mixes with an older one.
func Export(dir string, cases []Case, idx Index) error {
	if err := PrepareDir(dir); err != nil {
		return err
	}
	var lines strings.Builder
	idx.Cases = idx.Cases[:0]
	for i := range cases {
		c := &cases[i]
		if err := validID(c.Input.ID); err != nil {
			return err
		}
		folder := filepath.Join(dir, filepath.FromSlash(c.Input.ID))
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", folder, err)
		}
		line, err := c.Input.MarshalLine()
		if err != nil {
			return fmt.Errorf("case %s: %w", c.Input.ID, err)
		}
		input, err := marshalIndent(c.Input)
		if err != nil {
			return fmt.Errorf("case %s: %w", c.Input.ID, err)
		}
		files := map[string]string{
			FileRequest: c.HTTP(false), FileSigned: c.HTTP(true), FileInput: input,
			FileCanonical: c.Expect.Canonical, FileStringToSign: c.Expect.StringToSign, FileSignature: c.Expect.Signature,
			FileURL: c.Expect.URL, FileSource: strings.TrimSpace(c.Source + "\n" + c.Note),
		}
		if c.Input.Style != signature.RPC {
			files[FileAuthorization] = c.Expect.Authorization
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(folder, name), []byte(body), 0o644); err != nil {
				return fmt.Errorf("write %s: %w", filepath.Join(folder, name), err)
			}
		}
		lines.Write(line)
		lines.WriteByte('\n')
		idx.Cases = append(idx.Cases, IndexEntry{ID: c.Input.ID, Style: c.Input.Style, Source: c.Source, Variant: c.Variant})
	}
	index, err := marshalIndent(idx)
	if err != nil {
		return err
	}
	for name, body := range map[string]string{FileIndex: index + "\n", FileLines: lines.String(), FileReadme: Readme} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

// PrepareDir makes dir ready for an export: it creates it when absent and
// refuses a folder that is not empty or cannot be written, naming the fix.
func PrepareDir(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: export into a new or empty folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %v (pick a folder you can write)", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v (pick a folder you can write)", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// validID refuses an ID that would leave the export folder.
func validID(id string) error {
	if id == "" || strings.HasPrefix(id, "/") || strings.Contains(id, "\\") || filepath.IsAbs(id) {
		return fmt.Errorf("case ID %q is not a relative folder name", id)
	}
	for _, part := range strings.Split(id, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("case ID %q is not a relative folder name", id)
		}
	}
	return nil
}

func marshalIndent(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// Load reads an exported corpus back from its files alone: index.json, then
// each case's input.json and step files. A missing or malformed file is an
// error naming it.
func Load(dir string) (Index, []Case, error) {
	var idx Index
	raw, err := os.ReadFile(filepath.Join(dir, FileIndex))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return idx, nil, fmt.Errorf("%s has no %s: is it a corpus written by `acsharness vectors export`?", dir, FileIndex)
		}
		return idx, nil, err
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return idx, nil, fmt.Errorf("%s: %v", filepath.Join(dir, FileIndex), err)
	}
	cases := make([]Case, 0, len(idx.Cases))
	for _, e := range idx.Cases {
		if err := validID(e.ID); err != nil {
			return idx, nil, fmt.Errorf("%s: %w", filepath.Join(dir, FileIndex), err)
		}
		folder := filepath.Join(dir, filepath.FromSlash(e.ID))
		read := func(name string) (string, error) {
			b, err := os.ReadFile(filepath.Join(folder, name))
			return string(b), err
		}
		var c Case
		in, err := read(FileInput)
		if err != nil {
			return idx, nil, err
		}
		if err := json.Unmarshal([]byte(in), &c.Input); err != nil {
			return idx, nil, fmt.Errorf("%s: %v", filepath.Join(folder, FileInput), err)
		}
		steps := []struct {
			name     string
			dst      *string
			optional bool
		}{
			{FileCanonical, &c.Expect.Canonical, false}, {FileStringToSign, &c.Expect.StringToSign, false},
			{FileSignature, &c.Expect.Signature, false}, {FileURL, &c.Expect.URL, false},
			{FileAuthorization, &c.Expect.Authorization, c.Input.Style == signature.RPC}, {FileSource, &c.Source, true},
		}
		for _, s := range steps {
			v, err := read(s.name)
			if err != nil && !(s.optional && errors.Is(err, fs.ErrNotExist)) {
				return idx, nil, err
			}
			*s.dst = v
		}
		c.Source, c.Note, _ = strings.Cut(c.Source, "\n")
		c.Variant = e.Variant
		cases = append(cases, c)
	}
	return idx, cases, nil
}
