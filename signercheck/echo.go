package signercheck

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

// Echo is the trivial echo signer: it reads request lines from r, decodes
// each as any signer must, and answers its id with an empty signature,
// signing nothing. Timed over the pipe, it is the protocol's own cost (the
// process boundary, the JSON), which a team subtracts from its signer's to
// see how much is its signer and how much is the pipe. It returns when r
// ends.
func Echo(r io.Reader, w io.Writer) error {
	empty := ""
	return serve(r, w, func(in *corpus.Input) Reply { return Reply{ID: in.ID, Signature: &empty} })
}

// Reference is the reference signer over the protocol: it answers each
// request line with every step of the reference signature, which is what a
// correct signer's reply holds. A line it cannot read or sign is answered
// with an error.
func Reference(r io.Reader, w io.Writer) error {
	return serve(r, w, func(in *corpus.Input) Reply {
		s, err := corpus.Sign(in)
		if err != nil {
			return Reply{ID: in.ID, Error: err.Error()}
		}
		reply := Reply{ID: in.ID, Canonical: &s.Canonical, StringToSign: &s.StringToSign, Signature: &s.Signature}
		if in.Style != signature.RPC {
			reply.Authorization = &s.Authorization
		}
		return reply
	})
}

// serve answers each request line of r with sign's reply on w, flushed.
func serve(r io.Reader, w io.Writer, sign func(*corpus.Input) Reply) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			var in corpus.Input
			var reply Reply
			if jerr := json.Unmarshal(line, &in); jerr != nil {
				reply = Reply{ID: in.ID, Error: "not a request line: " + jerr.Error()}
				if reply.ID == "" {
					reply.ID = "unknown"
				}
			} else {
				reply = sign(&in)
			}
			if werr := enc.Encode(reply); werr != nil {
				return werr
			}
			if werr := bw.Flush(); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
