package gateway

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "update the .golden files in testdata")

// tricky holds every byte class the envelopes escape differently: the
// quotes and newline the real gateway writes raw in XML (docs/protocol.md §9 F7), a
// carriage return, markup, a CDATA end, a would-be character reference,
// control bytes, U+2028, CJK, an invalid UTF-8 byte and a valid U+FFFD.
const tricky = "a\"b'c&d<e>f\ng\th\ri]]>j&#34;k\x01\x08\x0c\x1f\x7fl\u2028m\u2029n世o\xffp\ufffdq\\r/"

// goldenBodies are the success bodies of every response type, once plain
// and once with tricky strings, with fixed request IDs.
func goldenBodies() []struct {
	name, action string
	body         response
} {
	inst := demoInstances()
	odd := inst[0]
	odd.InstanceName, odd.Tags = tricky, []tagsItem{{Key: tricky, Value: ""}, {Key: "", Value: tricky}}
	lvh := &listVirtualHostsResponse{}
	lvh.Data.VirtualHosts, lvh.Data.MaxResults = []vhostVO{{Name: "/"}, {Name: tricky}}, 100
	lvhEmpty := &listVirtualHostsResponse{}
	lvhEmpty.Data.VirtualHosts, lvhEmpty.Data.NextToken, lvhEmpty.Data.MaxResults = []vhostVO{}, "3", 1
	li := &listInstancesResponse{}
	li.Data.Instances, li.Data.MaxResults = inst, 100
	liOdd := &listInstancesResponse{}
	liOdd.Data.Instances, liOdd.Data.NextToken, liOdd.Data.MaxResults = []instanceVO{odd}, tricky, -7
	liNil := &listInstancesResponse{}
	return []struct {
		name, action string
		body         response
	}{
		{"ListGroupId", "ListGroupId", &listGroupIDResponse{Data: []mqttGroupIDDo{
			{CreateTime: 1580000000000, GroupId: "GID_demo", IndependentNaming: true, InstanceId: "mqtt-cn-1", UpdateTime: 1580000000001},
			{CreateTime: -1, GroupId: tricky, InstanceId: tricky},
		}}},
		{"ListGroupId-empty", "ListGroupId", &listGroupIDResponse{Data: []mqttGroupIDDo{}}},
		{"ListGroupId-nil", "ListGroupId", &listGroupIDResponse{}},
		{"CreateGroupId", "CreateGroupId", &helpURLResponse{HelpUrl: mqttHelpURL}},
		{"HelpUrl-tricky", "DeleteGroupId", &helpURLResponse{HelpUrl: tricky}},
		{"SendMessage", "SendMessage", &sendMessageResponse{MsgId: "0123456789ABCDEF0123456789ABCDEF"}},
		{"ListInstances", "ListInstances", li},
		{"ListInstances-tricky", "ListInstances", liOdd},
		{"ListInstances-nil", "ListInstances", liNil},
		{"ListVirtualHosts", "ListVirtualHosts", lvh},
		{"ListVirtualHosts-empty", "ListVirtualHosts", lvhEmpty},
		{"CreateVirtualHost", "CreateVirtualHost", &emptyResponse{}},
		{"GetAppEnv", AppEnvAction, &appEnvResponse{Data: appEnvData{AppName: "app", Env: tricky, Tag: ""}}},
		{"Response-root", "", &emptyResponse{}}, // the xml-root fault's <Response>
	}
}

// goldenErrors are error answers: the gateway's own and a backend's, with
// a product in Recommend and without, and with tricky text everywhere.
func goldenErrors() []struct {
	name string
	rp   reply
	err  *apiError
} {
	return []struct {
		name string
		rp   reply
		err  *apiError
	}{
		{"gateway", reply{product: "OnsMqtt"}, errNonceUsed},
		{"no-product", reply{}, errInvalidProduct},
		{"business", reply{product: "amqp-open", business: true}, errNotFound("VirtualHost", "v1")},
		{"tricky", reply{product: tricky, hostID: tricky, business: true}, &apiError{http.StatusBadRequest, tricky, tricky}},
		{"tricky-gateway", reply{product: tricky, hostID: tricky}, &apiError{http.StatusBadRequest, tricky, tricky}},
		{"empty", reply{}, &apiError{http.StatusInternalServerError, "", ""}},
	}
}

// recorded renders a recorded answer: status, headers (the random trace ID
// masked) and body.
func recorded(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", rec.Code)
	h := rec.Result().Header
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		v := strings.Join(h[k], ",")
		if k == HeaderTraceID {
			require.Len(t, v, 32, "a trace ID is 32 hex digits")
			v = strings.Repeat("x", 32)
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	b.WriteString("\n")
	b.Write(rec.Body.Bytes())
	return b.String()
}

// checkGolden compares got with testdata/envelopes/name.golden, or writes
// it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "envelopes", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "the golden file (go test -run %s -update writes it)", t.Name())
	assert.Equal(t, string(want), got, "the answer is byte for byte the golden file %s", path)
}

// TestEnvelopeGolden pins every envelope byte for byte: each success body
// and error answer in JSON and XML, headers included.
func TestEnvelopeGolden(t *testing.T) {
	const id = "0C1CDB7A-5F1B-4F6C-9B7A-1E6A3F0A2B4C"
	for _, format := range []string{FormatJSON, FormatXML} {
		for _, tc := range goldenBodies() {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				rec := httptest.NewRecorder()
				rp := reply{requestID: id, format: format}
				rp.writeSuccess(rec, tc.action, tc.body)
				checkGolden(t, "success-"+tc.name+"."+strings.ToLower(format), recorded(t, rec))
			})
		}
		for _, tc := range goldenErrors() {
			t.Run(format+"/error-"+tc.name, func(t *testing.T) {
				rec := httptest.NewRecorder()
				rp := tc.rp
				rp.requestID, rp.format = id, format
				rp.writeError(rec, tc.err)
				checkGolden(t, "error-"+tc.name+"."+strings.ToLower(format), recorded(t, rec))
			})
		}
	}
}
