package reports

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/acsharness/acsharness/record"
)

var errNoClientReport = errors.New("no client report to render")

// clientMark is the short label of a rule's class in the terminal report.
func clientMark(p painter, class string) string {
	switch class {
	case record.ClassDeparture:
		return p.paint(ansiRed, "DEPARTS ")
	case record.ClassVariant:
		return p.paint(ansiYellow, "VARIANT ")
	case record.ClassDocumented:
		return p.paint(ansiGreen, "ok      ")
	}
	return p.paint(ansiDim, "-       ")
}

// seenLine says what a client did for one form: the value, how many
// requests, the class, the official clients that do the same, a note and
// the details.
func seenLine(s record.Seen) string {
	var b strings.Builder
	b.WriteString(oneLine(s.Value))
	fmt.Fprintf(&b, " — %d request%s", s.Requests, plural(s.Requests))
	if len(s.Examples) > 0 {
		b.WriteString(" (#")
		for i, e := range s.Examples {
			if i > 0 {
				b.WriteString(", #")
			}
			b.WriteString(strconv.Itoa(e))
		}
		b.WriteString(")")
	}
	b.WriteString(", " + s.Class)
	if len(s.Clients) > 0 {
		b.WriteString(", as " + oneLine(strings.Join(s.Clients, ", ")))
	}
	if s.Note != "" {
		b.WriteString(": " + oneLine(s.Note))
	}
	if len(s.Details) > 0 {
		b.WriteString(" [" + oneLine(strings.Join(s.Details, "; ")) + "]")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// clientHeadline is the verdict of a client report in one line.
func clientHeadline(r *record.Report) string {
	variants := 0
	for _, rule := range r.Rules {
		if rule.Class == record.ClassVariant {
			variants++
		}
	}
	if r.Departures > 0 {
		var ids []string
		for _, rule := range r.Rules {
			if rule.Class == record.ClassDeparture {
				ids = append(ids, rule.ID)
			}
		}
		return fmt.Sprintf("%d rule%s departed from: %s", r.Departures, plural(r.Departures), strings.Join(ids, ", "))
	}
	return fmt.Sprintf("no departure from the spec in %d request%s (%d rule%s in an accepted variant)", r.Requests, plural(r.Requests), variants, plural(variants))
}

func countList(cs []record.Count) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Requests))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ClientText writes the terminal client report: per rule of the spec the
// client exercised, what it did and whether that is the documented form,
// an accepted variant (with the official clients that do the same) or a
// departure; then the rules no request exercised, and the verdict.
func ClientText(w io.Writer, r *record.Report, color bool) error {
	if r == nil {
		return errNoClientReport
	}
	p := painter(color)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "client report of %s: %d request%s, recorded %s\n", oneLine(r.Recording), r.Requests, plural(r.Requests), r.Started.UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "%s\n\n", p.paint(ansiDim, "styles: "+oneLine(countList(r.Styles))+" · gateway answers: "+oneLine(countList(r.Verdicts))))
	var unseen []string
	for _, rule := range r.Rules {
		if rule.Class == record.ClassNotObserved {
			unseen = append(unseen, rule.ID)
			continue
		}
		fmt.Fprintf(b, "%s %s (%s, %s)\n", clientMark(p, rule.Class), p.paint(ansiBold, oneLine(rule.Title)), rule.ID, rule.Spec)
		for _, s := range rule.Forms {
			fmt.Fprintf(b, "         %s\n", seenLine(s))
		}
	}
	if len(unseen) > 0 {
		fmt.Fprintf(b, "\nnot exercised by any request: %s\n", strings.Join(unseen, ", "))
	}
	fmt.Fprintln(b)
	if r.Failed() {
		fmt.Fprintf(b, "%s %s\n", p.paint(ansiRed, "FAIL"), clientHeadline(r))
	} else {
		fmt.Fprintf(b, "%s %s\n", p.paint(ansiGreen, "PASS"), clientHeadline(r))
	}
	return b.Flush()
}

// ClientJSON writes the report as one indented JSON object.
func ClientJSON(w io.Writer, r *record.Report) error {
	if r == nil {
		return errNoClientReport
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ClientMarkdown writes the report for a CI step summary: the verdict,
// then one table row per rule exercised.
func ClientMarkdown(w io.Writer, r *record.Report) error {
	if r == nil {
		return errNoClientReport
	}
	b := bufio.NewWriter(w)
	mark := "✅"
	if r.Failed() {
		mark = "❌"
	}
	fmt.Fprintf(b, "## %s Client report: %s\n\n", mark, mdText(clientHeadline(r)))
	fmt.Fprintf(b, "Recording %s · %d requests · styles %s · gateway answers %s\n\n", mdText(r.Recording), r.Requests, mdText(countList(r.Styles)), mdText(countList(r.Verdicts)))
	b.WriteString("| Rule | Spec | Verdict | What the client did |\n| :-- | :-- | :-- | :-- |\n")
	var unseen []string
	for _, rule := range r.Rules {
		if rule.Class == record.ClassNotObserved {
			unseen = append(unseen, rule.ID)
			continue
		}
		var did []string
		for _, s := range rule.Forms {
			did = append(did, mdText(seenLine(s)))
		}
		fmt.Fprintf(b, "| %s (`%s`) | %s | %s | %s |\n", mdText(rule.Title), rule.ID, mdText(rule.Spec), rule.Class, strings.Join(did, "<br>"))
	}
	if len(unseen) > 0 {
		fmt.Fprintf(b, "\nNot exercised by any request: %s\n", mdText(strings.Join(unseen, ", ")))
	}
	return b.Flush()
}

//go:embed client.html.tmpl
var clientHTMLSource string

var clientHTMLTemplate = template.Must(template.New("client.html").Parse(clientHTMLSource))

type clientPage struct {
	Report   *record.Report
	Verdict  string // pass or fail
	Headline string
	Started  string
	Styles   string
	Verdicts string
	Rules    []record.RuleResult
	Unseen   []string
}

// ClientHTML writes the report as one self-contained page.
func ClientHTML(w io.Writer, r *record.Report) error {
	if r == nil {
		return errNoClientReport
	}
	page := clientPage{Report: r, Verdict: "pass", Headline: clientHeadline(r), Started: r.Started.UTC().Format(time.RFC3339),
		Styles: countList(r.Styles), Verdicts: countList(r.Verdicts)}
	if r.Failed() {
		page.Verdict = "fail"
	}
	for _, rule := range r.Rules {
		if rule.Class == record.ClassNotObserved {
			page.Unseen = append(page.Unseen, rule.ID)
		} else {
			page.Rules = append(page.Rules, rule)
		}
	}
	return clientHTMLTemplate.Execute(w, page)
}

// clientFiles are the files WriteClient writes, in order.
var clientFiles = []struct {
	name   string
	render func(io.Writer, *record.Report) error
}{
	{"client.json", ClientJSON},
	{"client.md", ClientMarkdown},
	{"client.html", ClientHTML},
}

// WriteClient writes client.json, client.md and client.html into dir
// (creating it), each atomically, and returns the paths written.
func WriteClient(dir string, r *record.Report) ([]string, error) {
	if r == nil {
		return nil, errNoClientReport
	}
	return writeRendered(dir, r, clientFiles)
}
