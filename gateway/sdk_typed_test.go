package gateway_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	amqp "github.com/aliyun/alibaba-cloud-sdk-go/services/amqp-open"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/onsmqtt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// The official SDK's generated product clients (services/onsmqtt,
// services/amqp-open) against the gateway: their typed requests, signed
// and placed as the SDK places them (CreateVirtualHost and
// DeleteVirtualHost send their parameters in the form body), must pass,
// and the gateway's JSON and XML bodies must fill their typed response
// structs.

// typedClientMu serializes the construction of typed clients: each
// product package lazily creates its global EndpointMap without a lock
// (services/onsmqtt/endpoint.go:10-14, services/amqp-open/endpoint.go:10-14),
// a data race when two clients are built at once.
var typedClientMu sync.Mutex

func newMqttClient(t *testing.T) *onsmqtt.Client {
	t.Helper()
	typedClientMu.Lock()
	c, err := onsmqtt.NewClientWithAccessKey("cn-hangzhou", gateway.DemoKeyID, gateway.DemoKeySecret)
	typedClientMu.Unlock()
	require.NoError(t, err, "the onsmqtt client must build")
	c.SetConnectTimeout(sdkTimeout)
	c.SetReadTimeout(sdkTimeout)
	return c
}

func newAmqpClient(t *testing.T) *amqp.Client {
	t.Helper()
	typedClientMu.Lock()
	c, err := amqp.NewClientWithAccessKey("cn-hangzhou", gateway.DemoKeyID, gateway.DemoKeySecret)
	typedClientMu.Unlock()
	require.NoError(t, err, "the amqp-open client must build")
	c.SetConnectTimeout(sdkTimeout)
	c.SetReadTimeout(sdkTimeout)
	return c
}

// typedTarget says where a typed request goes: the gateway's address, and
// an optional Host header that routes by product endpoint.
type typedTarget struct {
	addr, host, format string
}

// aim points a typed request at the gateway.
func (tt typedTarget) aim(r *requests.RpcRequest) {
	r.Domain = tt.addr
	r.Scheme = "http"
	r.AcceptFormat = tt.format
	if tt.host != "" {
		r.Headers["Host"] = tt.host
	}
}

// typedCases are the formats and routings every typed test runs under.
var typedCases = []struct {
	name, format string
	byHost       bool
}{
	{"JSON/by-version", "JSON", false},
	{"JSON/by-host", "JSON", true},
	{"XML/by-version", "XML", false},
	{"XML/by-host", "XML", true},
}

// TestTypedOnsMqtt runs the MQTT group lifecycle and SendMessage through
// onsmqtt.Client: a group created is listed with its GroupId and
// InstanceId, a deleted one disappears.
func TestTypedOnsMqtt(t *testing.T) {
	t.Parallel()
	for _, tc := range typedCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			tt := typedTarget{addr: addr, format: tc.format}
			if tc.byHost {
				tt.host = mqttHost
			}
			c := newMqttClient(t)
			const inst = "mqtt-cn-typed"

			for _, id := range []string{"GID_typed_b", "GID_typed_a"} {
				req := onsmqtt.CreateCreateGroupIdRequest()
				tt.aim(req.RpcRequest)
				req.InstanceId, req.GroupId = inst, id
				resp, err := c.CreateGroupId(req)
				require.NoError(t, err, "CreateGroupId(%s) must succeed", id)
				assert.Equal(t, http.StatusOK, resp.GetHttpStatus(), "status of CreateGroupId")
				assertEnvelope(t, resp.RequestId, resp.GetHttpHeaders())
				assert.NotEmpty(t, resp.HelpUrl, "CreateGroupId answers a HelpUrl")
			}

			list := func() []onsmqtt.MqttGroupIdDo {
				req := onsmqtt.CreateListGroupIdRequest()
				tt.aim(req.RpcRequest)
				req.InstanceId = inst
				resp, err := c.ListGroupId(req)
				require.NoError(t, err, "ListGroupId must succeed")
				assertEnvelope(t, resp.RequestId, resp.GetHttpHeaders())
				return resp.Data
			}
			groups := list()
			require.Len(t, groups, 2, "both groups created must be listed in the typed response")
			assert.Equal(t, "GID_typed_a", groups[0].GroupId, "GroupId parsed into MqttGroupIdDo")
			assert.Equal(t, inst, groups[0].InstanceId, "InstanceId parsed into MqttGroupIdDo")
			assert.True(t, groups[0].IndependentNaming, "IndependentNaming parsed")
			assert.Positive(t, groups[0].CreateTime, "CreateTime parsed as epoch milliseconds")
			assert.Equal(t, "GID_typed_b", groups[1].GroupId, "second group")

			del := onsmqtt.CreateDeleteGroupIdRequest()
			tt.aim(del.RpcRequest)
			del.InstanceId, del.GroupId = inst, "GID_typed_a"
			delResp, err := c.DeleteGroupId(del)
			require.NoError(t, err, "DeleteGroupId must succeed")
			assertEnvelope(t, delResp.RequestId, delResp.GetHttpHeaders())
			groups = list()
			require.Len(t, groups, 1, "a deleted group must disappear from the list")
			assert.Equal(t, "GID_typed_b", groups[0].GroupId, "the remaining group")

			for _, v := range trickyValues {
				send := onsmqtt.CreateSendMessageRequest()
				tt.aim(send.RpcRequest)
				send.InstanceId, send.MqttTopic, send.Payload = inst, "t/"+v.name, v.value
				resp, err := c.SendMessage(send)
				require.NoError(t, err, "SendMessage with Payload %q must pass the signature check", v.value)
				assertEnvelope(t, resp.RequestId, resp.GetHttpHeaders())
				assert.Regexp(t, `^[0-9A-F]{32}$`, resp.MsgId, "MsgId parsed from the %s body", tc.format)
			}
		})
	}
}

// TestTypedAmqpOpen runs ListInstances (with MaxResults and paging) and
// the virtual host lifecycle through amqp_open.Client.
func TestTypedAmqpOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range typedCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			tt := typedTarget{addr: addr, format: tc.format}
			if tc.byHost {
				tt.host = rabbitHost
			}
			c := newAmqpClient(t)

			li := amqp.CreateListInstancesRequest()
			tt.aim(li.RpcRequest)
			li.MaxResults = requests.NewInteger(1)
			page1, err := c.ListInstances(li)
			require.NoError(t, err, "ListInstances must succeed")
			assertEnvelope(t, page1.RequestId, page1.GetHttpHeaders())
			require.Len(t, page1.Data.Instances, 1, "MaxResults=1 must give one InstanceVO")
			first := page1.Data.Instances[0]
			assert.Equal(t, "amqp-cn-demo000001", first.InstanceId, "InstanceId parsed into InstanceVO")
			assert.Equal(t, "SERVING", first.Status, "Status parsed into InstanceVO")
			assert.NotEmpty(t, first.InstanceName, "InstanceName parsed")
			assert.Positive(t, first.MaxTps, "numeric fields parsed")
			assert.True(t, first.AutoRenewInstance, "boolean fields parsed")
			require.Len(t, first.Tags, 1, "Tags parsed into TagsItem")
			assert.Equal(t, "env", first.Tags[0].Key, "tag key")
			assert.Equal(t, 1, page1.Data.MaxResults, "MaxResults echoed")
			require.Equal(t, "1", page1.Data.NextToken, "a truncated page carries NextToken")

			li2 := amqp.CreateListInstancesRequest()
			tt.aim(li2.RpcRequest)
			li2.MaxResults = requests.NewInteger(1)
			li2.NextToken = page1.Data.NextToken
			page2, err := c.ListInstances(li2)
			require.NoError(t, err, "ListInstances with NextToken must succeed")
			require.Len(t, page2.Data.Instances, 1, "the second page holds one instance")
			assert.Equal(t, "amqp-cn-demo000002", page2.Data.Instances[0].InstanceId, "the second demo instance")
			assert.Empty(t, page2.Data.NextToken, "the last page has no NextToken")

			const inst = "amqp-cn-typed"
			names := func() []string {
				req := amqp.CreateListVirtualHostsRequest()
				tt.aim(req.RpcRequest)
				req.InstanceId = inst
				resp, err := c.ListVirtualHosts(req)
				require.NoError(t, err, "ListVirtualHosts must succeed")
				assertEnvelope(t, resp.RequestId, resp.GetHttpHeaders())
				var out []string
				for _, v := range resp.Data.VirtualHosts {
					out = append(out, v.Name)
				}
				return out
			}
			for _, name := range []string{"orders", "billing 中文+*~"} {
				req := amqp.CreateCreateVirtualHostRequest()
				tt.aim(req.RpcRequest)
				req.InstanceId, req.VirtualHost = inst, name
				resp, err := c.CreateVirtualHost(req)
				require.NoError(t, err, "CreateVirtualHost(%q), parameters in the form body, must succeed", name)
				assertEnvelope(t, resp.RequestId, resp.GetHttpHeaders())
			}
			assert.Equal(t, []string{"/", "billing 中文+*~", "orders"}, names(), "virtual hosts created are listed, sorted, after /")

			del := amqp.CreateDeleteVirtualHostRequest()
			tt.aim(del.RpcRequest)
			del.InstanceId, del.VirtualHost = inst, "orders"
			delResp, err := c.DeleteVirtualHost(del)
			require.NoError(t, err, "DeleteVirtualHost must succeed")
			assertEnvelope(t, delResp.RequestId, delResp.GetHttpHeaders())
			assert.Equal(t, []string{"/", "billing 中文+*~"}, names(), "a deleted virtual host must disappear")
		})
	}
}
