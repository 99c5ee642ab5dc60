// Command go-broken is a deliberately broken RPC signer, the kind of
// hand-written signer `acsharness signer check` exists to catch. It has two
// bugs, each a real mistake seen in hand-written POP signers:
//
//   - wrong key derivation: it keys the HMAC with the secret alone, where
//     RPC keys it with the secret followed by "&" (docs/protocol.md §1.4 step 4);
//   - wrong encoding of "*": it leaves "*" raw, as Java's URLEncoder does,
//     where POP percent-encodes it to %2A (docs/protocol.md §1.3).
//
// signer check names the step each bug lives in: "*" shows in the canonical
// form (the first step), the key only in the signature (the third), with
// the canonical form and the string to sign right. It signs RPC only.
package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"os"
	"sort"
	"strings"
)

type request struct {
	ID     string      `json:"id"`
	Style  string      `json:"style"`
	Method string      `json:"method"`
	Query  [][2]string `json:"query"`
	Form   [][2]string `json:"form"`
	Secret string      `json:"secret"`
}

type reply struct {
	ID           string `json:"id"`
	Canonical    string `json:"canonical,omitempty"`
	StringToSign string `json:"string_to_sign,omitempty"`
	Signature    string `json:"signature,omitempty"`
	Error        string `json:"error,omitempty"`
}

// encode percent-encodes s, leaving A-Z a-z 0-9 - _ . ~ as they are, and,
// the bug, '*' too.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~*", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

func sign(r *request) reply {
	if r.Style != "rpc" {
		return reply{ID: r.ID, Error: "this signer signs RPC only"}
	}
	params := append(r.Query, r.Form...)
	sort.SliceStable(params, func(i, j int) bool { return params[i][0] < params[j][0] })
	var pairs []string
	for _, kv := range params {
		pairs = append(pairs, encode(kv[0])+"="+encode(kv[1]))
	}
	canonical := strings.Join(pairs, "&")
	sts := r.Method + "&%2F&" + encode(canonical)
	mac := hmac.New(sha1.New, []byte(r.Secret)) // the bug: RPC keys with r.Secret + "&"
	mac.Write([]byte(sts))
	return reply{ID: r.ID, Canonical: canonical, StringToSign: sts, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil))}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64<<10), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		rep := reply{Error: "unreadable request"}
		if err := json.Unmarshal(in.Bytes(), &req); err == nil {
			rep = sign(&req)
		}
		rep.ID = req.ID
		_ = enc.Encode(rep)
		_ = out.Flush()
	}
}
