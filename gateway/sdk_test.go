package gateway_test

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// The official alibaba-cloud-sdk-go (v1.63.107) against the reference
// gateway on a real loopback socket: its generic CommonRequest in the RPC
// and ROA styles, its error parsing, and the check of its
// SignatureDoesNotMatch wrapper that our server string to sign equals its
// own (docs/protocol.md §5). The typed product clients are in sdk_typed_test.go,
// darabonba-openapi in sdk_darabonba_test.go.

// Product identities the tests route by (docs/protocol.md §6).
const (
	mqttVersion   = "2020-04-20"
	rabbitVersion = "2019-12-12"
	mqttHost      = "onsmqtt.cn-hangzhou.aliyuncs.com"
	rabbitHost    = "amqp-open.cn-hangzhou.aliyuncs.com"
	// anyVersion is a version no product has; the generic ROA route serves
	// it (seed 002's x-acs-version).
	anyVersion = "2019-12-11"
	badVersion = "2099-01-01"
)

// requestIDPattern is the RequestId shape of docs/protocol.md §5.
var requestIDPattern = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// sdkTimeout bounds every SDK call, so a hung gateway fails a test rather
// than stalling the run.
const sdkTimeout = 5 * time.Second

// startSDKGateway serves a new gateway built from cfg on 127.0.0.1 and returns
// the server; it is closed when the test ends.
func startSDKGateway(t *testing.T, cfg gateway.Config) *httptest.Server {
	t.Helper()
	g, err := gateway.New(cfg)
	require.NoError(t, err, "gateway.New must accept the test config")
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.Listener.Addr().String(), "127.0.0.1:"), "the gateway must listen on loopback only")
	return srv
}

// addrOf returns the host:port of srv, and its two halves.
func addrOf(srv *httptest.Server) (addr, host, port string) {
	addr = srv.Listener.Addr().String()
	host, port, _ = net.SplitHostPort(addr)
	return addr, host, port
}

// newAliyunClient returns an official SDK client for cn-hangzhou with the
// given key, with bounded timeouts and no proxy for the loopback address.
func newAliyunClient(t *testing.T, id, secret string) *sdk.Client {
	t.Helper()
	//lint:ignore SA1019 deprecated in favour of a credentials provider, but it is the constructor most callers use
	c, err := sdk.NewClientWithAccessKey("cn-hangzhou", id, secret)
	require.NoError(t, err, "the SDK client must build from an AccessKey")
	c.SetConnectTimeout(sdkTimeout)
	c.SetReadTimeout(sdkTimeout)
	c.SetNoProxy("127.0.0.1")
	return c
}

// rpcRequest is an SDK CommonRequest in the RPC style to the gateway at addr.
func rpcRequest(addr, method, version, action string, query map[string]string) *requests.CommonRequest {
	r := requests.NewCommonRequest()
	r.Method = method
	r.Scheme = "http"
	r.Domain = addr
	r.Version = version
	r.ApiName = action
	for k, v := range query {
		r.QueryParams[k] = v
	}
	return r
}

// roaRequest is an SDK CommonRequest in the ROA style (a PathPattern). The
// SDK always builds a ROA URL as scheme://Domain:Port/path
// (sdk/requests/roa_request.go:110), so with Domain "127.0.0.1:port" the URL
// reads "http://127.0.0.1:port:/path", which net/url refuses ("invalid
// port"): the host goes in Domain and the port in Port.
func roaRequest(srv *httptest.Server, method, version, path string, query map[string]string) *requests.CommonRequest {
	_, host, port := addrOf(srv)
	r := requests.NewCommonRequest()
	r.Method = method
	r.Scheme = "http"
	r.Domain = host
	r.Port = port
	r.Version = version
	r.PathPattern = path
	for k, v := range query {
		r.QueryParams[k] = v
	}
	return r
}

// assertEnvelope checks the RequestId of a response body against the
// x-acs-request-id header and the uppercase UUID shape (docs/protocol.md §5).
func assertEnvelope(t *testing.T, bodyID string, header http.Header) {
	t.Helper()
	assert.Regexp(t, requestIDPattern, bodyID, "RequestId must be an uppercase 8-4-4-4-12 UUID")
	assert.Equal(t, bodyID, header.Get("x-acs-request-id"), "x-acs-request-id must echo the body's RequestId")
}

// callOK runs r and requires a 200 with a JSON body, decoded into out.
func callOK(t *testing.T, c *sdk.Client, r *requests.CommonRequest, out any) *responses.CommonResponse {
	t.Helper()
	resp, err := c.ProcessCommonRequest(r)
	require.NoError(t, err, "the gateway must accept the SDK's %s request", r.ApiName+r.PathPattern)
	require.Equal(t, http.StatusOK, resp.GetHttpStatus(), "status of a successful call")
	if strings.EqualFold(r.AcceptFormat, "XML") {
		assert.Equal(t, gateway.ContentTypeXML, resp.GetOriginHttpResponse().Header.Get("Content-Type"), "XML content type")
		if out != nil {
			require.NoError(t, xml.Unmarshal(resp.GetHttpContentBytes(), out), "the body must be XML: %s", resp.GetHttpContentString())
		}
	} else {
		assert.Equal(t, gateway.ContentTypeJSON, resp.GetOriginHttpResponse().Header.Get("Content-Type"), "JSON content type")
		if out != nil {
			require.NoError(t, json.Unmarshal(resp.GetHttpContentBytes(), out), "the body must be JSON: %s", resp.GetHttpContentString())
		}
	}
	return resp
}

// Shapes of the success bodies, as the product docs and SDK structs name
// their fields.
type (
	vhostList struct {
		RequestId string //nolint:revive // the wire name
		Data      struct {
			VirtualHosts []struct{ Name string }
			NextToken    string
			MaxResults   int
		}
	}
	instanceList struct {
		XMLName   xml.Name
		RequestId string //nolint:revive
		Data      struct {
			Instances []struct {
				InstanceId, Status, InstanceName string //nolint:revive
			}
			NextToken  string
			MaxResults int
		}
	}
	groupList struct {
		XMLName   xml.Name
		RequestId string //nolint:revive
		Data      []struct {
			GroupId, InstanceId string //nolint:revive
			IndependentNaming   bool
		}
	}
	msgSent struct {
		RequestId string //nolint:revive
		MsgId     string //nolint:revive
	}
	appEnvBody struct {
		XMLName   xml.Name
		RequestId string //nolint:revive
		Data      struct{ AppName, Env, Tag string }
	}
)

func vhostNames(l vhostList) []string {
	var names []string
	for _, v := range l.Data.VirtualHosts {
		names = append(names, v.Name)
	}
	return names
}

// trickyValues are parameter values that percent-encoding and form
// decoding treat specially (docs/protocol.md §1.3, §1.5, vectors §1.7.3).
var trickyValues = []struct{ name, value string }{
	{"space", "hello world"},
	{"star", "a*b"},
	{"tilde", "a~b"},
	{"plus", "a+b"},
	{"slash", "t/a/b"},
	{"percent", "100%"},
	{"percent-escape", "%20%2B%7E"},
	{"reserved", "a=b&c=d"},
	{"sub-delims", "!'()*"},
	{"cjk", "中文消息"},
	{"indonesian", "Antrian Pesan untuk MQTT, uji coba!"},
	{"accent", "é"},
	{"emoji", "😀 hi"},
	{"mixed", "vh a*b~c+d/e%f 中文 😀"},
}

// TestAliyunSDKCommonRPCValues sends every tricky value through the SDK's
// RPC CommonRequest, as GET, as POST in the query (the SDK's POST puts
// every parameter in the query, docs/protocol.md §1.5) and as POST in a form body
// (FormParams), and proves the gateway both verifies the signature and
// decodes the value exactly: a virtual host created with the value as its
// name is listed under that name, and SendMessage accepts it as a Payload.
func TestAliyunSDKCommonRPCValues(t *testing.T) {
	t.Parallel()
	for _, placement := range []struct {
		name   string
		method string
		form   bool
	}{
		{"GET-query", requests.GET, false},
		{"POST-query", requests.POST, false},
		{"POST-form", requests.POST, true},
	} {
		t.Run(placement.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)
			const inst = "amqp-cn-values"
			var want []string
			for _, tc := range trickyValues {
				create := rpcRequest(addr, placement.method, rabbitVersion, "CreateVirtualHost", map[string]string{"InstanceId": inst})
				send := rpcRequest(addr, placement.method, mqttVersion, "SendMessage", map[string]string{"InstanceId": "mqtt-cn-values"})
				if placement.form {
					create.FormParams["VirtualHost"] = tc.value
					send.FormParams["MqttTopic"] = "t/" + tc.name
					send.FormParams["Payload"] = tc.value
				} else {
					create.QueryParams["VirtualHost"] = tc.value
					send.QueryParams["MqttTopic"] = "t/" + tc.name
					send.QueryParams["Payload"] = tc.value
				}
				var created struct{ RequestId string } //nolint:revive
				resp := callOK(t, c, create, &created)
				assertEnvelope(t, created.RequestId, resp.GetOriginHttpResponse().Header)
				want = append(want, tc.value)

				var sent msgSent
				resp = callOK(t, c, send, &sent)
				assertEnvelope(t, sent.RequestId, resp.GetOriginHttpResponse().Header)
				assert.Regexp(t, `^[0-9A-F]{32}$`, sent.MsgId, "SendMessage(%s) must answer a MsgId", tc.name)
			}
			var list vhostList
			callOK(t, c, rpcRequest(addr, requests.GET, rabbitVersion, "ListVirtualHosts", map[string]string{"InstanceId": inst}), &list)
			names := vhostNames(list)
			for _, v := range want {
				assert.Contains(t, names, v, "a virtual host created with name %q must be listed under exactly that name", v)
			}
			assert.Contains(t, names, "/", "the default virtual host is always listed")
			assert.Len(t, names, len(want)+1, "one virtual host per created name, plus /")
		})
	}
}

// TestAliyunSDKCommonRPCLifecycle creates, lists and deletes MQTT groups
// and RabbitMQ virtual hosts with RPC CommonRequests, routed both by
// version (Domain 127.0.0.1) and by Host (the product's endpoint in a Host
// header), and checks paging of ListInstances.
func TestAliyunSDKCommonRPCLifecycle(t *testing.T) {
	t.Parallel()
	for _, routing := range []struct {
		name       string
		mqttHost   string
		rabbitHost string
	}{
		{"by-version", "", ""},
		{"by-host", mqttHost, rabbitHost},
	} {
		t.Run(routing.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)
			mqtt := func(method, action string, q map[string]string) *requests.CommonRequest {
				r := rpcRequest(addr, method, mqttVersion, action, q)
				if routing.mqttHost != "" {
					r.Headers["Host"] = routing.mqttHost
				}
				return r
			}
			rabbit := func(method, action string, q map[string]string) *requests.CommonRequest {
				r := rpcRequest(addr, method, rabbitVersion, action, q)
				if routing.rabbitHost != "" {
					r.Headers["Host"] = routing.rabbitHost
				}
				return r
			}
			const inst = "mqtt-cn-lifecycle"

			callOK(t, c, mqtt(requests.POST, "CreateGroupId", map[string]string{"InstanceId": inst, "GroupId": "GID_alpha"}), nil)
			callOK(t, c, mqtt(requests.POST, "CreateGroupId", map[string]string{"InstanceId": inst, "GroupId": "GID_beta"}), nil)
			var groups groupList
			callOK(t, c, mqtt(requests.GET, "ListGroupId", map[string]string{"InstanceId": inst}), &groups)
			require.Len(t, groups.Data, 2, "both groups created must be listed")
			assert.Equal(t, "GID_alpha", groups.Data[0].GroupId, "groups are listed by ID")
			assert.Equal(t, "GID_beta", groups.Data[1].GroupId, "groups are listed by ID")
			assert.Equal(t, inst, groups.Data[0].InstanceId, "a group carries its instance")

			callOK(t, c, mqtt(requests.POST, "DeleteGroupId", map[string]string{"InstanceId": inst, "GroupId": "GID_alpha"}), nil)
			groups = groupList{}
			callOK(t, c, mqtt(requests.GET, "ListGroupId", map[string]string{"InstanceId": inst}), &groups)
			require.Len(t, groups.Data, 1, "a deleted group must disappear")
			assert.Equal(t, "GID_beta", groups.Data[0].GroupId, "the remaining group")

			var page1, page2 instanceList
			callOK(t, c, rabbit(requests.GET, "ListInstances", map[string]string{"MaxResults": "1"}), &page1)
			require.Len(t, page1.Data.Instances, 1, "MaxResults=1 must return one instance")
			assert.Equal(t, "1", page1.Data.NextToken, "a truncated page must carry a NextToken")
			assert.Equal(t, 1, page1.Data.MaxResults, "MaxResults is echoed")
			callOK(t, c, rabbit(requests.GET, "ListInstances", map[string]string{"MaxResults": "1", "NextToken": page1.Data.NextToken}), &page2)
			require.Len(t, page2.Data.Instances, 1, "the second page holds the second instance")
			assert.Empty(t, page2.Data.NextToken, "the last page has no NextToken")
			assert.NotEqual(t, page1.Data.Instances[0].InstanceId, page2.Data.Instances[0].InstanceId, "pages must not repeat an instance")

			callOK(t, c, rabbit(requests.POST, "CreateVirtualHost", map[string]string{"InstanceId": "amqp-cn-x", "VirtualHost": "orders"}), nil)
			callOK(t, c, rabbit(requests.POST, "DeleteVirtualHost", map[string]string{"InstanceId": "amqp-cn-x", "VirtualHost": "orders"}), nil)
			var list vhostList
			callOK(t, c, rabbit(requests.GET, "ListVirtualHosts", map[string]string{"InstanceId": "amqp-cn-x"}), &list)
			assert.Equal(t, []string{"/"}, vhostNames(list), "a deleted virtual host must disappear")
		})
	}
}

// TestAliyunSDKCommonRPCXML asks for XML (AcceptFormat, the Format
// parameter) and checks the body is XML rooted at <{Action}Response> with
// the data and the RequestId of the header (docs/protocol.md §5).
func TestAliyunSDKCommonRPCXML(t *testing.T) {
	t.Parallel()
	srv := startSDKGateway(t, gateway.Config{})
	addr, _, _ := addrOf(srv)
	c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)

	create := rpcRequest(addr, requests.POST, mqttVersion, "CreateGroupId", map[string]string{"InstanceId": "mqtt-cn-xml", "GroupId": "GID_xml"})
	create.AcceptFormat = "XML"
	callOK(t, c, create, nil)

	list := rpcRequest(addr, requests.GET, mqttVersion, "ListGroupId", map[string]string{"InstanceId": "mqtt-cn-xml"})
	list.AcceptFormat = "XML"
	var groups groupList
	resp := callOK(t, c, list, &groups)
	assert.True(t, strings.HasPrefix(resp.GetHttpContentString(), "<?xml"), "an XML body starts with its prolog")
	assert.Equal(t, "ListGroupIdResponse", groups.XMLName.Local, "the XML root is <{Action}Response>")
	assertEnvelope(t, groups.RequestId, resp.GetOriginHttpResponse().Header)
	require.Len(t, groups.Data, 1, "the group created must be listed")
	assert.Equal(t, "GID_xml", groups.Data[0].GroupId, "GroupId in XML")
	assert.Equal(t, "mqtt-cn-xml", groups.Data[0].InstanceId, "InstanceId in XML")

	// Format is case-insensitive (docs/protocol.md §7.3): "xml" answers XML too,
	// and the SDK parses by the upper-cased format.
	inst := rpcRequest(addr, requests.GET, rabbitVersion, "ListInstances", nil)
	inst.AcceptFormat = "xml"
	var instances instanceList
	resp = callOK(t, c, inst, &instances)
	assert.Equal(t, "ListInstancesResponse", instances.XMLName.Local, "the XML root is <{Action}Response>")
	assertEnvelope(t, instances.RequestId, resp.GetOriginHttpResponse().Header)
	require.NotEmpty(t, instances.Data.Instances, "ListInstances must list the demo instances in XML too")
	assert.Equal(t, "SERVING", instances.Data.Instances[0].Status, "instance status in XML")
}

// TestAliyunSDKCommonROA drives the ROA style of the SDK (a PathPattern):
// the generic route GET /pop/v1/wam/appEnv for any version, with the
// values that ROA signs raw (docs/protocol.md §2.2, vector R2), in JSON and XML;
// and the MQTT and RabbitMQ routes, with path parameters, a form body,
// DELETE, and routing by Host or by version.
func TestAliyunSDKCommonROA(t *testing.T) {
	t.Parallel()

	t.Run("appEnv", func(t *testing.T) {
		t.Parallel()
		srv := startSDKGateway(t, gateway.Config{})
		c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)
		formats := []string{"JSON", "XML"}
		versions := []string{anyVersion, mqttVersion, rabbitVersion}
		// Every value once, cycling through the formats and versions, so
		// that each pair of them is met.
		for i, tc := range append([]struct{ name, value string }{{"empty", ""}}, trickyValues...) {
			format, version := formats[i%len(formats)], versions[(i/len(formats))%len(versions)]
			r := roaRequest(srv, requests.GET, version, "/pop/v1/wam/appEnv",
				map[string]string{"appName": "my app", "env": "", "tag": tc.value})
			r.AcceptFormat = format
			var got appEnvBody
			resp := callOK(t, c, r, &got)
			assertEnvelope(t, got.RequestId, resp.GetOriginHttpResponse().Header)
			assert.Equal(t, "my app", got.Data.AppName, "appName echoed (%s, %s, %s)", tc.name, format, version)
			assert.Equal(t, "", got.Data.Env, "an empty query value is kept (%s)", tc.name)
			assert.Equal(t, tc.value, got.Data.Tag, "tag %q must arrive exactly (%s, %s)", tc.value, format, version)
			if format == "XML" {
				assert.Equal(t, gateway.AppEnvAction+"Response", got.XMLName.Local, "the XML root is <{Action}Response>")
			}
		}
	})

	for _, routing := range []struct{ name, mqttHost, rabbitHost string }{
		{"products-by-version", "", ""},
		{"products-by-host", mqttHost, rabbitHost},
	} {
		t.Run(routing.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			c := newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret)
			mqtt := func(method, path string, q map[string]string) *requests.CommonRequest {
				r := roaRequest(srv, method, mqttVersion, path, q)
				if routing.mqttHost != "" {
					r.Headers["Host"] = routing.mqttHost
				}
				return r
			}
			rabbit := func(method, path string, q map[string]string) *requests.CommonRequest {
				r := roaRequest(srv, method, rabbitVersion, path, q)
				if routing.rabbitHost != "" {
					r.Headers["Host"] = routing.rabbitHost
				}
				return r
			}
			const inst = "mqtt-cn-roa"
			callOK(t, c, mqtt(requests.POST, "/groups", map[string]string{"InstanceId": inst, "GroupId": "GID_roa1"}), nil)
			callOK(t, c, mqtt(requests.POST, "/groups", map[string]string{"InstanceId": inst, "GroupId": "GID_roa2"}), nil)
			var groups groupList
			resp := callOK(t, c, mqtt(requests.GET, "/groups", map[string]string{"InstanceId": inst}), &groups)
			assertEnvelope(t, groups.RequestId, resp.GetOriginHttpResponse().Header)
			require.Len(t, groups.Data, 2, "both groups created over ROA must be listed")
			assert.Equal(t, "GID_roa1", groups.Data[0].GroupId, "first group")
			assert.Equal(t, inst, groups.Data[0].InstanceId, "a group carries its instance")

			del := mqtt(requests.DELETE, "/groups/[GroupId]", map[string]string{"InstanceId": inst})
			del.PathParams["GroupId"] = "GID_roa1"
			callOK(t, c, del, nil)
			groups = groupList{}
			callOK(t, c, mqtt(requests.GET, "/groups", map[string]string{"InstanceId": inst}), &groups)
			require.Len(t, groups.Data, 1, "a group deleted over ROA must disappear")
			assert.Equal(t, "GID_roa2", groups.Data[0].GroupId, "the remaining group")

			var sent msgSent
			callOK(t, c, mqtt(requests.POST, "/messages", map[string]string{"InstanceId": inst, "MqttTopic": "t/a", "Payload": "hello 世界"}), &sent)
			assert.NotEmpty(t, sent.MsgId, "SendMessage over ROA answers a MsgId")

			// A form body: the SDK signs its Content-MD5 and Content-Type.
			create := rabbit(requests.POST, "/instances/[InstanceId]/vhosts", nil)
			create.PathParams["InstanceId"] = "amqp-cn-roa"
			create.FormParams["VirtualHost"] = "roa a*b~c+d 中文"
			callOK(t, c, create, nil)
			list := rabbit(requests.GET, "/instances/[InstanceId]/vhosts", map[string]string{"MaxResults": "10"})
			list.PathParams["InstanceId"] = "amqp-cn-roa"
			var vhosts vhostList
			callOK(t, c, list, &vhosts)
			assert.Equal(t, []string{"/", "roa a*b~c+d 中文"}, vhostNames(vhosts), "a virtual host created from a ROA form body is listed")
			assert.Equal(t, 10, vhosts.Data.MaxResults, "MaxResults from the ROA query")

			// A raw JSON body, and ApiName (a signed x-acs-action header).
			raw := rabbit(requests.POST, "/instances/[InstanceId]/vhosts", nil)
			raw.PathParams["InstanceId"] = "amqp-cn-roa"
			raw.ApiName = "CreateVirtualHost"
			raw.Headers["Content-Type"] = "application/json"
			raw.SetContent([]byte(`{"VirtualHost":"json 中文"}`))
			callOK(t, c, raw, nil)
			vhosts = vhostList{}
			callOK(t, c, list, &vhosts)
			assert.Equal(t, []string{"/", "json 中文", "roa a*b~c+d 中文"}, vhostNames(vhosts), "a virtual host created from a ROA JSON body is listed")

			var instances instanceList
			callOK(t, c, rabbit(requests.GET, "/instances", nil), &instances)
			assert.Len(t, instances.Data.Instances, 2, "ListInstances over ROA lists the demo instances")
		})
	}
}

// TestAliyunSDKServerErrors checks the SDK's view of the gateway's
// errors: every one is an *errors.ServerError with the code, status,
// message, RequestId and HostId of docs/protocol.md §4 and §5. For a wrong secret
// the SDK compares its own string to sign with the one the gateway
// reports after "server string to sign is:" and, only when they are
// equal, recommends checking the secret
// (sdk/errors/signature_does_not_match_wrapper.go:31-34): that proves the
// gateway's string to sign is byte for byte the SDK's, for RPC GET, POST
// with a form, and ROA with a query and a form.
func TestAliyunSDKServerErrors(t *testing.T) {
	t.Parallel()
	const recommendSecret = "InvalidAccessKeySecret: Please check you AccessKeySecret"
	type request func(srv *httptest.Server) *requests.CommonRequest
	rpcGet := func(version string) request {
		return func(srv *httptest.Server) *requests.CommonRequest {
			addr, _, _ := addrOf(srv)
			return rpcRequest(addr, requests.GET, version, "ListInstances", map[string]string{"MaxResults": "2"})
		}
	}
	rpcPostForm := func(srv *httptest.Server) *requests.CommonRequest {
		addr, _, _ := addrOf(srv)
		r := rpcRequest(addr, requests.POST, mqttVersion, "SendMessage", map[string]string{"InstanceId": "mqtt-cn-err"})
		r.FormParams["MqttTopic"] = "t/a b"
		r.FormParams["Payload"] = "a+b*c~d 100% 中文 😀"
		return r
	}
	rpcByHost := func(srv *httptest.Server) *requests.CommonRequest {
		addr, _, _ := addrOf(srv)
		r := rpcRequest(addr, requests.POST, mqttVersion, "ListGroupId", map[string]string{"InstanceId": "mqtt-cn-err"})
		r.Headers["Host"] = mqttHost
		return r
	}
	roaGet := func(version string) request {
		return func(srv *httptest.Server) *requests.CommonRequest {
			return roaRequest(srv, requests.GET, version, "/groups", map[string]string{"InstanceId": "mqtt-cn-err", "empty": ""})
		}
	}
	roaAppEnv := func(srv *httptest.Server) *requests.CommonRequest {
		return roaRequest(srv, requests.GET, anyVersion, "/pop/v1/wam/appEnv", map[string]string{"appName": "my app", "env": "", "tag": "中文/a+b"})
	}
	roaForm := func(srv *httptest.Server) *requests.CommonRequest {
		r := roaRequest(srv, requests.POST, rabbitVersion, "/instances/[InstanceId]/vhosts", nil)
		r.PathParams["InstanceId"] = "amqp-cn-err"
		r.FormParams["VirtualHost"] = "a b*c"
		return r
	}
	roaByHost := func(srv *httptest.Server) *requests.CommonRequest {
		r := roaRequest(srv, requests.GET, mqttVersion, "/groups", map[string]string{"InstanceId": "mqtt-cn-err"})
		r.Headers["Host"] = mqttHost
		return r
	}
	const wrongSecret = "not-the-secret"
	for _, tc := range []struct {
		name      string
		cfg       gateway.Config
		id, key   string
		req       request
		status    int
		code      string
		message   string // exact, or a prefix for signature errors
		recommend string // the SDK's own recommendation, when it makes one
		hostID    string
	}{
		{name: "wrong-secret/rpc-get", id: gateway.DemoKeyID, key: wrongSecret, req: rpcGet(rabbitVersion),
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&", recommend: recommendSecret},
		{name: "wrong-secret/rpc-post-form", id: gateway.DemoKeyID, key: wrongSecret, req: rpcPostForm,
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&", recommend: recommendSecret},
		{name: "wrong-secret/rpc-by-host", id: gateway.DemoKeyID, key: wrongSecret, req: rpcByHost, hostID: mqttHost,
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&", recommend: recommendSecret},
		{name: "wrong-secret/roa-get", id: gateway.DemoKeyID, key: wrongSecret, req: roaGet(mqttVersion),
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:GET\n", recommend: recommendSecret},
		{name: "wrong-secret/roa-appenv", id: gateway.DemoKeyID, key: wrongSecret, req: roaAppEnv,
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:GET\n", recommend: recommendSecret},
		{name: "wrong-secret/roa-form", id: gateway.DemoKeyID, key: wrongSecret, req: roaForm,
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:POST\n", recommend: recommendSecret},
		{name: "wrong-secret/roa-by-host", id: gateway.DemoKeyID, key: wrongSecret, req: roaByHost, hostID: mqttHost,
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:GET\n", recommend: recommendSecret},
		// The SDK treats the alternate code exactly alike (docs/protocol.md §4).
		{name: "wrong-secret/incomplete-signature", cfg: gateway.Config{MismatchCode: gateway.CodeIncompleteSignature},
			id: gateway.DemoKeyID, key: wrongSecret, req: rpcPostForm,
			status: 400, code: gateway.CodeIncompleteSignature, message: "The request signature does not conform to Aliyun standards. server string to sign is:POST&%2F&", recommend: recommendSecret},
		{name: "unknown-key/rpc", id: "nosuchkey", key: gateway.DemoKeySecret, req: rpcGet(rabbitVersion),
			status: 404, code: gateway.CodeKeyNotFound, message: "Specified access key is not found."},
		{name: "unknown-key/roa", id: "nosuchkey", key: gateway.DemoKeySecret, req: roaGet(mqttVersion),
			status: 404, code: gateway.CodeKeyNotFound, message: "Specified access key is not found."},
		{name: "inactive-key/rpc", id: gateway.DemoInactiveKeyID, key: gateway.DemoInactiveKey, req: rpcGet(rabbitVersion),
			status: 400, code: gateway.CodeKeyInactive, message: "Specified access key is disabled."},
		{name: "inactive-key/roa", id: gateway.DemoInactiveKeyID, key: gateway.DemoInactiveKey, req: roaAppEnv,
			status: 400, code: gateway.CodeKeyInactive, message: "Specified access key is disabled."},
		{name: "wrong-version/rpc", id: gateway.DemoKeyID, key: gateway.DemoKeySecret, req: rpcGet(badVersion),
			status: 400, code: gateway.CodeInvalidVersion, message: "Specified parameter Version is not valid."},
		{name: "wrong-version/rpc-other-product", id: gateway.DemoKeyID, key: gateway.DemoKeySecret, hostID: mqttHost,
			req: func(srv *httptest.Server) *requests.CommonRequest {
				r := rpcGet(rabbitVersion)(srv)
				r.Headers["Host"] = mqttHost
				return r
			},
			status: 400, code: gateway.CodeInvalidVersion, message: "Specified parameter Version is not valid."},
		{name: "wrong-version/roa", id: gateway.DemoKeyID, key: gateway.DemoKeySecret, req: roaGet(badVersion),
			status: 400, code: gateway.CodeInvalidVersion, message: "Specified parameter Version is not valid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, tc.cfg)
			c := newAliyunClient(t, tc.id, tc.key)
			r := tc.req(srv)
			_, err := c.ProcessCommonRequest(r)
			require.Error(t, err, "the gateway must refuse the request")
			var se *sdkerrors.ServerError
			require.ErrorAs(t, err, &se, "a gateway error must reach the caller as an SDK ServerError")
			assert.Equal(t, tc.code, se.ErrorCode(), "error code")
			assert.Equal(t, tc.status, se.HttpStatus(), "HTTP status of %s", tc.code)
			if tc.recommend != "" {
				assert.True(t, strings.HasPrefix(se.Message(), tc.message), "message must start %q, got %q", tc.message, se.Message())
				assert.Equal(t, tc.recommend, se.Recommend(),
					"the SDK recommends checking the secret only when the server string to sign equals its own; message: %q", se.Message())
			} else {
				assert.Equal(t, tc.message, se.Message(), "message text of %s", tc.code)
				assert.Contains(t, se.Recommend(), "q="+tc.code, "the gateway's Recommend link names the code")
			}
			assert.Regexp(t, requestIDPattern, se.RequestId(), "an error carries an uppercase UUID RequestId")
			assert.Equal(t, se.RequestId(), http.Header(se.RespHeaders).Get("x-acs-request-id"), "x-acs-request-id echoes the RequestId")
			wantHost := tc.hostID
			if wantHost == "" {
				wantHost = "127.0.0.1"
			}
			assert.Equal(t, wantHost, se.HostId(), "HostId is the requested host without its port")
		})
	}
}

// TestAliyunSDKXMLError pins an SDK limitation the gateway has to live
// with: the SDK parses Code and Message from JSON error bodies only
// (sdk/errors/server_error.go:78-107), so an error answered in the XML a
// request asked for reaches the caller with an empty ErrorCode and the
// whole XML envelope as its Message. The envelope must still be the
// gateway's <Error> with the code.
func TestAliyunSDKXMLError(t *testing.T) {
	t.Parallel()
	srv := startSDKGateway(t, gateway.Config{})
	addr, _, _ := addrOf(srv)
	c := newAliyunClient(t, gateway.DemoKeyID, "not-the-secret")
	r := rpcRequest(addr, requests.GET, rabbitVersion, "ListInstances", nil)
	r.AcceptFormat = "XML"
	_, err := c.ProcessCommonRequest(r)
	var se *sdkerrors.ServerError
	require.ErrorAs(t, err, &se, "a gateway error must reach the caller as an SDK ServerError")
	assert.Equal(t, http.StatusBadRequest, se.HttpStatus(), "status of SignatureDoesNotMatch")
	assert.Empty(t, se.ErrorCode(), "the SDK reads no code from an XML body")
	assert.Equal(t, gateway.ContentTypeXML, http.Header(se.RespHeaders).Get("Content-Type"), "the error is answered in the XML asked for")
	var env struct {
		XMLName   xml.Name
		RequestId string //nolint:revive
		Code      string
		Message   string
	}
	require.NoError(t, xml.Unmarshal([]byte(se.Message()), &env), "the message is the XML envelope: %s", se.Message())
	assert.Equal(t, "Error", env.XMLName.Local, "XML errors are rooted at <Error>")
	assert.Equal(t, gateway.CodeSignatureDoesNotMatch, env.Code, "code in the XML envelope")
	assert.Equal(t, http.Header(se.RespHeaders).Get("x-acs-request-id"), env.RequestId, "x-acs-request-id echoes the XML RequestId")
	assert.Contains(t, env.Message, gateway.StringToSignMarker+"GET&%2F&", "the XML message carries the server string to sign")
}

// TestAliyunSDKRecommendDiscriminates is the control of the string-to-sign
// proof above: the SDK's secret recommendation really depends on the
// server's string to sign. A gateway that leaves it out, or that signs
// something else (here: without the x-acs-* headers), does not earn it.
func TestAliyunSDKRecommendDiscriminates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault gateway.Fault
		want  string
	}{
		{"no-string-to-sign", gateway.FaultNoStringToSign, "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"},
		{"different-string-to-sign", gateway.FaultROASkipACSHeaders, "This may be a bug with the SDK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{Faults: []gateway.Fault{tc.fault}})
			c := newAliyunClient(t, gateway.DemoKeyID, "not-the-secret")
			_, err := c.ProcessCommonRequest(roaRequest(srv, requests.GET, mqttVersion, "/groups", map[string]string{"InstanceId": "x"}))
			var se *sdkerrors.ServerError
			require.ErrorAs(t, err, &se, "a gateway error must reach the caller as an SDK ServerError")
			assert.Equal(t, gateway.CodeSignatureDoesNotMatch, se.ErrorCode(), "error code")
			assert.True(t, strings.HasPrefix(se.Recommend(), tc.want), "recommendation must start %q, got %q", tc.want, se.Recommend())
		})
	}
}
