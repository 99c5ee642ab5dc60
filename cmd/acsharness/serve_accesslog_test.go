package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acsharness/acsharness/signature"
)

// TestServeAccessLog: serve writes one access-log line per request, in the
// format of --log-format, off the request path; stopping serve writes every
// line still buffered. --no-access-log writes none.
func TestServeAccessLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  []string
		lines *regexp.Regexp // nil: no access-log line at all
	}{
		{"json", nil, regexp.MustCompile(`(?m)^\{"time":"[^"]+","level":"INFO","msg":"request","request_id":"[0-9A-F-]{36}","remote":"127\.0\.0\.1:\d+","method":"GET","path":"/","host":"127\.0\.0\.1","style":"(rpc|v3)","product":"amqp-open","action":"ListInstances","access_key_id":"testid","result":"OK","duration":\d+\}$`)},
		{"text", []string{"--log-format", "text"}, regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=request request_id=[0-9A-F-]{36} remote=127\.0\.0\.1:\d+ method=GET path=/ host=127\.0\.0\.1 style=(rpc|v3) product=amqp-open action=ListInstances access_key_id=testid result=OK duration=\S+$`)},
		{"no access log", []string{"--no-access-log"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const sent = 5
			stderr := serveInProcess(t, tc.args, func(url string) {
				for i := range sent {
					style := signature.RPC
					if i%2 == 1 {
						style = signature.V3
					}
					assert.Equal(t, http.StatusOK, signedGet(t, url, style, nil))
				}
			})
			if tc.lines == nil {
				assert.NotContains(t, stderr, "msg=request")
				assert.NotContains(t, stderr, `"msg":"request"`)
				return
			}
			assert.Len(t, tc.lines.FindAllString(stderr, -1), sent, "one line per request, all written by the time serve stops:\n%s", stderr)
			assert.False(t, strings.Contains(stderr, "Signature="), "no query string in the log")
		})
	}
}
