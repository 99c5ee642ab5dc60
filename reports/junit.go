package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acsharness/acsharness/conformance"
)

// The JUnit shape read by the common CI consumers (Jenkins' JUnit plugin
// schema, GitLab, the GitHub Actions test reporters): a testsuites root,
// one testsuite per category, one testcase per case, in each testcase at
// most one of skipped or failure, then system-out.

type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Time      string `xml:"time,attr"`
	// Properties name each finding's rule and level: a "failure" (must), a
	// "warning" (should) or a "note" (may).
	Properties *junitProperties `xml:"properties"`
	Skipped    *junitSkipped    `xml:"skipped"`
	Failure    *junitFailure    `xml:"failure"`
	// SystemOut lists the warnings and notes of a case that did not fail:
	// CI shows them without counting a failure.
	SystemOut *junitText `xml:"system-out"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// junitTime is the ISO 8601 form JUnit schemas accept: no zone, in UTC.
const junitTime = "2006-01-02T15:04:05"

// ConformanceJUnit writes junit.xml: a <testsuites> root with the totals,
// one <testsuite> per category, one <testcase> per case (classname the
// category, name the case id), a <failure> whose message names the rule
// broken and its level, then expected versus observed, and whose text adds
// every finding, the string-to-sign diff and the steps; a <skipped> with the
// reason for skips. Warnings (should rules) are not failures: a warned case
// passes, with a property per finding and the warnings in <system-out>. Every element carries
// the tests, failures, errors, skipped, time and timestamp attributes the
// common consumers (Jenkins, GitLab, the GitHub Actions reporters) read.
func ConformanceJUnit(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNoReport
	}
	r = redact(r)
	sum := summarize(r.Results)
	started := r.Started.UTC().Format(junitTime)
	root := junitSuites{
		Name: toolName(r) + " conformance", Tests: sum.Totals.Cases, Failures: sum.Totals.Fail,
		Skipped: sum.Totals.Skip, Time: junitSeconds(r.Duration), Timestamp: started,
	}
	props := []junitProperty{{Name: "target", Value: oneLine(r.Target)}, {Name: "products", Value: oneLine(strings.Join(r.Products, ","))}}
	if r.Interrupted {
		props = append(props, junitProperty{Name: "interrupted", Value: interruptedLine()})
	}
	for _, f := range r.Findings {
		props = append(props, junitProperty{Name: "finding", Value: oneLine(f)})
	}
	for _, l := range r.Diagnosis.Lines() {
		props = append(props, junitProperty{Name: "diagnosis", Value: oneLine(l)})
	}
	if d := r.Diagnosis; d != nil && d.Mismatch != nil {
		props = append(props, junitProperty{Name: "diagnosis", Value: "string to sign differs at " + locate(d.Mismatch).String() + ": see " + oneLine(d.Case)})
	}
	for _, t := range sum.ByCategory {
		suite := junitSuite{
			Name: t.Category, Tests: t.Cases, Failures: t.Fail, Skipped: t.Skip,
			Timestamp: started, Properties: props,
		}
		var total float64
		for i := range r.Results {
			res := &r.Results[i]
			if res.Category != t.Category {
				continue
			}
			total += res.Duration
			suite.Cases = append(suite.Cases, junitTestcase(res))
		}
		suite.Time = junitSeconds(total)
		root.Suites = append(root.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitTestcase(res *conformance.Result) junitCase {
	c := junitCase{Classname: res.Category, Name: res.ID, Time: junitSeconds(res.Duration)}
	if len(res.Findings) > 0 {
		c.Properties = &junitProperties{}
	}
	for _, f := range res.Findings {
		name := map[conformance.Level]string{conformance.Must: "failure", conformance.Should: "warning", conformance.May: "note"}[f.Level]
		c.Properties.Property = append(c.Properties.Property, junitProperty{Name: name, Value: findingLine(f)})
	}
	switch res.Status {
	case conformance.Skip:
		msg := res.Reason
		if res.Enable != "" {
			msg += ": " + res.Enable
		}
		c.Skipped = &junitSkipped{Message: oneLine(msg)}
	case conformance.Fail:
		c.Failure = &junitFailure{Message: ruleTag(res) + headline(res), Type: "conformance", Text: failureText(res)}
	default:
		var lines []string
		for _, f := range res.Findings {
			lines = append(lines, findingLine(f))
		}
		if len(lines) > 0 {
			c.SystemOut = &junitText{strings.Join(lines, "\n")}
		}
	}
	return c
}

// ruleTag names the rule a failed case broke first, and its level:
// "[nonce.replay must] ".
func ruleTag(res *conformance.Result) string {
	for _, f := range res.Findings {
		if f.Level == conformance.Must || f.Level == conformance.Should && res.Status == conformance.Fail {
			return "[" + oneLine(ruleName(f.Rule)) + " " + string(f.Level) + "] "
		}
	}
	return ""
}

func junitSeconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// failureText is everything a reader of a CI log needs about a failed
// case: what was expected and seen, the string-to-sign diff and what each
// step sent and got (the full traces are in report.json).
func failureText(res *conformance.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", oneLine(res.Title))
	if res.Spec != "" {
		fmt.Fprintf(&b, "spec:     %s\n", res.Spec)
	}
	fmt.Fprintf(&b, "expected: %s\nobserved: %s\n", oneLine(res.Expected), oneLine(res.Observed))
	if res.Cause != "" {
		fmt.Fprintf(&b, "cause:    %s\n", oneLine(res.Cause))
	}
	if len(res.Findings) > 0 {
		b.WriteString("findings:\n")
		for _, f := range res.Findings {
			fmt.Fprintf(&b, "  step %d %s\n", f.Step, findingLine(f))
		}
	} else {
		fmt.Fprintf(&b, "reason:   %s\n", oneLine(res.Reason))
	}
	if m := res.Mismatch; m != nil {
		fmt.Fprintf(&b, "\nstring to sign differs at %s:\n--- ours\n+++ theirs (echoed by the gateway)\n", locate(m))
		for _, l := range lineDiff(m.Ours, m.Theirs) {
			b.WriteString(l + "\n")
		}
		switch {
		case m.Canonical == "" || !isV3(m):
		case m.TheirCanonical != "":
			fmt.Fprintf(&b, "\ncanonical request:\n--- ours\n+++ theirs (echoed by the gateway)\n")
			for _, l := range lineDiff(m.Canonical, m.TheirCanonical) {
				b.WriteString(l + "\n")
			}
		default:
			fmt.Fprintf(&b, "\nour canonical request (the string to sign holds its SHA-256):\n%s\n", m.Canonical)
		}
	}
	if len(res.Steps) > 0 {
		b.WriteString("\nsteps:\n")
		for i, st := range res.Steps {
			b.WriteString(stepLine(i, &st) + "\n")
			for _, f := range st.Failures {
				fmt.Fprintf(&b, "     failure: %s\n", oneLine(f))
			}
		}
	}
	return visible(b.String(), true)
}

// stepLine sums up one step: "2. replay: GET https://... -> 400 (copies 200 400)".
func stepLine(i int, st *conformance.StepTrace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %d. ", i+1)
	if st.Name != "" {
		b.WriteString(oneLine(st.Name) + ": ")
	}
	fmt.Fprintf(&b, "%s %s -> ", oneLine(st.Request.Method), oneLine(st.Request.URL))
	if st.Response.Error != "" {
		b.WriteString("error: " + oneLine(st.Response.Error))
	} else {
		b.WriteString(strconv.Itoa(st.Response.Status))
	}
	if len(st.Statuses) > 0 {
		b.WriteString(" (copies " + statuses(st.Statuses) + ")")
	}
	return b.String()
}

func statuses(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, " ")
}
