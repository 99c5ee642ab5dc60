// Package signercheck tests any signer, in any language, over a tiny
// protocol: the signer runs as a child process and reads one JSON object
// per line on its standard input (a case's inputs, the input.json of an
// exported corpus) and writes one JSON object per line on its standard
// output (at least the signature; optionally the canonical form, the string
// to sign and the Authorization header). Every step the signer returns is
// compared byte for byte with the reference signer's, and the first step
// where it departs is named with both values and the first differing byte.
// Then the signer's throughput over the same pipe is measured beside the
// reference signer's in-process figure and the pipe's own cost, measured
// with a trivial echo signer ([Echo]).
package signercheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Reply is one line a signer writes: the case's id, its signature, and any
// of the intermediate steps it can show. Error, instead of a signature,
// says the signer could not sign the case (a failed case, not a protocol
// error). Other fields are ignored.
type Reply struct {
	ID            string  `json:"id"`
	Signature     *string `json:"signature,omitempty"`
	Canonical     *string `json:"canonical,omitempty"`
	StringToSign  *string `json:"string_to_sign,omitempty"`
	Authorization *string `json:"authorization,omitempty"`
	Error         string  `json:"error,omitempty"`
}

// The steps of a signature, in the order they are computed and compared.
const (
	StepCanonical     = "canonical"
	StepStringToSign  = "string_to_sign"
	StepSignature     = "signature"
	StepAuthorization = "authorization"
	// StepError stands for a case the signer said it could not sign.
	StepError = "error"
)

// Steps lists the compared steps in order.
var Steps = []string{StepCanonical, StepStringToSign, StepSignature, StepAuthorization}

// step returns the value the reply gave for a step, if it gave one.
func (r *Reply) step(name string) (string, bool) {
	var p *string
	switch name {
	case StepCanonical:
		p = r.Canonical
	case StepStringToSign:
		p = r.StringToSign
	case StepSignature:
		p = r.Signature
	case StepAuthorization:
		p = r.Authorization
	}
	if p == nil {
		return "", false
	}
	return *p, true
}

// maxLine bounds one reply line: a reply is a few KiB at most.
const maxLine = 1 << 20

// ParseReply parses one line of a signer's output. A line that is not one
// JSON object, has no id, or has neither a signature nor an error is a
// protocol error, described so that a signer's author sees what to fix.
func ParseReply(line []byte) (Reply, error) {
	var r Reply
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		return r, errors.New(`an empty line: write one JSON object per line, e.g. {"id":"…","signature":"…"}`)
	}
	if !utf8.Valid(line) {
		return r, errors.New("the line is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf(`not a JSON object with string fields (%v): write {"id":"…","signature":"…"}`, err)
	}
	if dec.More() {
		return r, errors.New("more than one JSON value on the line: write one object per line")
	}
	switch {
	case r.ID == "":
		return r, errors.New(`no "id": echo the id of the request`)
	case r.Signature == nil && r.Error == "":
		return r, errors.New(`no "signature" (and no "error"): every reply carries the signature`)
	}
	return r, nil
}

// ProtocolError is a signer that broke the protocol: a reply that does not
// parse, answers another case, never comes, or a signer that exited
// mid-run. Line is the offending output, quoted in the report.
type ProtocolError struct {
	CaseID string // the case whose reply broke the protocol
	Line   string // the line the signer wrote, cut to a readable length; "" when none came
	Reason string
	// Stderr is the end of what the signer wrote on its standard error.
	Stderr string
}

func (e *ProtocolError) Error() string {
	s := "protocol error on case " + e.CaseID + ": " + e.Reason
	if e.Line != "" {
		s += "\n  the signer wrote: " + e.Line
	}
	if e.Stderr != "" {
		s += "\n  its standard error ended with:\n" + indent(e.Stderr)
	}
	return s
}

// StartError is a signer command that could not be started, or that
// exited before answering its first request.
type StartError struct {
	Command string
	Err     error
	Stderr  string
}

func (e *StartError) Error() string {
	s := "the signer " + e.Command + " cannot start: " + e.Err.Error()
	if e.Stderr != "" {
		s += "\n  its standard error ended with:\n" + indent(e.Stderr)
	}
	return s
}

func (e *StartError) Unwrap() error { return e.Err }

// quoteLine quotes a line for a message, cut to 300 bytes.
func quoteLine(b []byte) string {
	const max = 300
	b = bytes.TrimRight(b, "\r\n")
	if len(b) > max {
		return fmt.Sprintf("%q… (%d bytes)", b[:max], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func indent(s string) string {
	return "    " + string(bytes.ReplaceAll(bytes.TrimRight([]byte(s), "\n"), []byte("\n"), []byte("\n    ")))
}
