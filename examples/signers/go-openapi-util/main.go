// Command go-openapi-util is a signer for `acsharness signer check` built on
// the official Go openapi-util (github.com/alibabacloud-go/openapi-util
// v0.1.1), the signing library of the official Go SDKs. It is glue only:
// every byte of every signature comes from the SDK.
//
//	go build -o bin/go-openapi-util ./examples/signers/go-openapi-util
//	acsharness signer check --exec bin/go-openapi-util
//
// It reads one request per line on stdin and writes one reply per line on
// stdout, as the README's "signer protocol" section describes.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/tea"
)

// request is one request line: the fields of an exported input.json.
type request struct {
	ID          string      `json:"id"`
	Style       string      `json:"style"`
	Method      string      `json:"method"`
	Host        string      `json:"host"`
	Path        string      `json:"path"`
	Query       [][2]string `json:"query"`
	Form        [][2]string `json:"form"`
	Headers     [][2]string `json:"headers"`
	AccessKeyID string      `json:"access_key_id"`
	Secret      string      `json:"secret"`
}

// reply is one reply line. openapi-util exposes the ROA string to sign but
// neither the RPC nor the V3 intermediate steps: those replies carry the
// signature (and the V3 Authorization header) only.
type reply struct {
	ID            string `json:"id"`
	StringToSign  string `json:"string_to_sign,omitempty"`
	Signature     string `json:"signature"`
	Authorization string `json:"authorization,omitempty"`
	Error         string `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64<<10), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		var rep reply
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			rep = reply{ID: req.ID, Error: err.Error()}
		} else {
			rep = sign(&req)
		}
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// sdkMap turns pairs into the map the SDK takes, names lowercased with lower.
func sdkMap(pairs [][2]string, lower bool) map[string]*string {
	m := map[string]*string{}
	for _, kv := range pairs {
		k := kv[0]
		if lower {
			k = strings.ToLower(k)
		}
		m[k] = tea.String(kv[1])
	}
	return m
}

func sign(r *request) reply {
	switch r.Style {
	case "rpc":
		// The SDK signs the query and the form body together.
		params := sdkMap(append(r.Query, r.Form...), false)
		return reply{ID: r.ID, Signature: tea.StringValue(openapiutil.GetRPCSignature(params, tea.String(r.Method), tea.String(r.Secret)))}
	case "roa":
		// The SDK reads the four standard headers by lowercase name.
		req := &tea.Request{Method: tea.String(r.Method), Pathname: tea.String(r.Path), Headers: sdkMap(r.Headers, true), Query: sdkMap(r.Query, false)}
		sts := openapiutil.GetStringToSign(req)
		sig := tea.StringValue(openapiutil.GetROASignature(sts, tea.String(r.Secret)))
		return reply{ID: r.ID, StringToSign: tea.StringValue(sts), Signature: sig, Authorization: "acs " + r.AccessKeyID + ":" + sig}
	case "v3":
		// As darabonba's DoRequest: the encoded path, host among the headers,
		// the payload hash from x-acs-content-sha256.
		headers := sdkMap(r.Headers, false)
		headers["host"] = tea.String(r.Host)
		var payload string
		for _, kv := range r.Headers {
			if strings.EqualFold(kv[0], "x-acs-content-sha256") {
				payload = kv[1]
			}
		}
		req := &tea.Request{Method: tea.String(r.Method), Pathname: openapiutil.GetEncodePath(tea.String(r.Path)), Headers: headers, Query: sdkMap(r.Query, false)}
		auth := tea.StringValue(openapiutil.GetAuthorization(req, tea.String("ACS3-HMAC-SHA256"), tea.String(payload), tea.String(r.AccessKeyID), tea.String(r.Secret)))
		_, sig, _ := strings.Cut(auth, ",Signature=")
		return reply{ID: r.ID, Signature: sig, Authorization: auth}
	}
	return reply{ID: r.ID, Error: "unknown style " + r.Style}
}
