package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// Report is a client conformance report: per rule of the spec, the forms
// the recorded client used, each classed documented, accepted variant or
// departure.
type Report struct {
	Recording string    `json:"recording"`
	Tool      string    `json:"tool,omitempty"`
	Started   time.Time `json:"started"`
	Requests  int       `json:"requests"`
	// Styles and Verdicts count the requests by style and by the
	// gateway's answer ("OK" or an error code).
	Styles   []Count      `json:"styles"`
	Verdicts []Count      `json:"verdicts"`
	Rules    []RuleResult `json:"rules"`
	// Departures counts the rules with at least one departure.
	Departures int `json:"departures"`
}

// Count is a name and how many requests had it.
type Count struct {
	Name     string `json:"name"`
	Requests int    `json:"requests"`
}

// RuleResult is one rule and what the client did.
type RuleResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Spec  string `json:"spec"`
	// Class is the worst class of the forms seen, or "not observed".
	Class string `json:"class"`
	Forms []Seen `json:"forms,omitempty"`
}

// Seen is one form a client used for a rule.
type Seen struct {
	Value    string `json:"value"`
	Requests int    `json:"requests"`
	Class    string `json:"class"`
	// Clients are the official clients that use this form too.
	Clients []string `json:"official_clients,omitempty"`
	Note    string   `json:"note,omitempty"`
	// Details are up to three distinct details (a skew, a step).
	Details []string `json:"details,omitempty"`
	// Examples are up to three request numbers of the recording.
	Examples []int `json:"examples"`
}

// Failed reports whether the client departs from the spec anywhere.
func (r *Report) Failed() bool { return r.Departures > 0 }

// maxRecordLine bounds one line of a recording.
const maxRecordLine = 4 << 20

// Load reads a recording: its manifest and its records. A line that does
// not parse is an error naming the file and line; a recording cut short
// by a crash (a last line without its newline) loses that line only.
func Load(dir string) (Manifest, []Record, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, nil, fmt.Errorf("%s has no %s: is it a folder written by `acsharness serve --record`?", dir, FileManifest)
		}
		return m, nil, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, nil, fmt.Errorf("%s: %v", filepath.Join(dir, FileManifest), err)
	}
	f, err := os.Open(filepath.Join(dir, FileRequests))
	if err != nil {
		return m, nil, err
	}
	defer f.Close()
	recs, err := ReadRecords(f, filepath.Join(dir, FileRequests))
	return m, recs, err
}

// ReadRecords reads records, one JSON object per line; name is used in
// errors.
func ReadRecords(r io.Reader, name string) ([]Record, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Record
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		complete := err == nil
		if len(bytes.TrimSpace(line)) > 0 {
			if len(line) > maxRecordLine {
				return out, fmt.Errorf("%s:%d: a line longer than %d bytes", name, n, maxRecordLine)
			}
			rec, perr := ParseRecord(line)
			switch {
			case perr == nil:
				out = append(out, rec)
			case complete:
				return out, fmt.Errorf("%s:%d: %v", name, n, perr)
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %v", name, err)
		}
	}
}

// ParseRecord parses one line of a recording.
func ParseRecord(line []byte) (Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return rec, fmt.Errorf("not a record (%v)", err)
	}
	if rec.Seq <= 0 {
		return rec, fmt.Errorf("a record without its request number (seq)")
	}
	return rec, nil
}

// Build judges the records of a recording rule by rule.
func Build(dir string, m Manifest, recs []Record) *Report {
	rep := &Report{Recording: dir, Tool: m.Tool, Started: m.Started, Requests: len(recs)}
	styles, verdicts := counter{}, counter{}
	type key struct{ rule, value, class string }
	seen := map[key]*Seen{}
	byRule := map[string][]key{}
	regionSent, regionAbsent := []int{}, []int{}
	for _, rec := range recs {
		styles.add(string(rec.Analysis.Style))
		code := rec.Response.Code
		if code == "" {
			code = "OK"
			if rec.Response.Status >= 300 {
				code = fmt.Sprintf("HTTP %d", rec.Response.Status)
			}
		}
		verdicts.add(code)
		for _, o := range rec.Analysis.Observations {
			if o.Rule == signature.AspectRPCRegionID { // judged over the whole recording, below
				if o.Value == ValueSent {
					regionSent = append(regionSent, rec.Seq)
				} else {
					regionAbsent = append(regionAbsent, rec.Seq)
				}
				continue
			}
			r, ok := rule(o.Rule)
			if !ok {
				continue
			}
			class, clients := classify(r, o.Value, o.Detail)
			k := key{o.Rule, o.Value, class}
			s := seen[k]
			if s == nil {
				s = &Seen{Value: o.Value, Class: class, Clients: clients, Note: r.notes[o.Value]}
				seen[k] = s
				byRule[o.Rule] = append(byRule[o.Rule], k)
			}
			s.Requests++
			if len(s.Examples) < 3 {
				s.Examples = append(s.Examples, rec.Seq)
			}
			if o.Detail != "" && len(s.Details) < 3 && !slices.Contains(s.Details, o.Detail) {
				s.Details = append(s.Details, o.Detail)
			}
		}
	}
	// RegionId: "always" when every RPC request sent it (alibaba-cloud-sdk-go
	// adds it to every call), "when given" otherwise (docs/protocol.md §7.14).
	if n := len(regionSent) + len(regionAbsent); n > 0 {
		r, _ := rule(signature.AspectRPCRegionID)
		value, examples, note := ValueWhenGiven, regionAbsent, fmt.Sprintf("sent on %d of %d RPC requests", len(regionSent), n)
		if len(regionAbsent) == 0 {
			value, examples = ValueAlways, regionSent
		}
		class, clients := classify(r, value, "")
		k := key{r.ID, value, class}
		seen[k] = &Seen{Value: value, Requests: n, Class: class, Clients: clients, Note: note, Examples: examples[:min(3, len(examples))]}
		byRule[r.ID] = append(byRule[r.ID], k)
	}
	for _, r := range Rules {
		res := RuleResult{ID: r.ID, Title: r.Title, Spec: r.Spec, Class: ClassNotObserved}
		for _, k := range byRule[r.ID] {
			s := seen[k]
			res.Forms = append(res.Forms, *s)
			if worse(s.Class, res.Class) {
				res.Class = s.Class
			}
		}
		if res.Class == ClassDeparture {
			rep.Departures++
		}
		rep.Rules = append(rep.Rules, res)
	}
	rep.Styles, rep.Verdicts = styles.sorted(), verdicts.sorted()
	return rep
}

// counter counts names, remembering the order they came in.
type counter struct {
	order []string
	n     map[string]int
}

func (c *counter) add(name string) {
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[name] == 0 {
		c.order = append(c.order, name)
	}
	c.n[name]++
}

// sorted returns the counts, the largest first, ties in arrival order.
func (c *counter) sorted() []Count {
	out := make([]Count, 0, len(c.order))
	for _, name := range c.order {
		out = append(out, Count{Name: name, Requests: c.n[name]})
	}
	slices.SortStableFunc(out, func(a, b Count) int { return b.Requests - a.Requests })
	return out
}
