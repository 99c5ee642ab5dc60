package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
)

// darabonba-openapi v2.1.13, the generator runtime of the newer official
// SDKs, against the gateway: its RPC requests signed with HMAC-SHA1 (the
// "v2" SignatureAlgorithm, DoRPCRequest), its ROA requests
// (DoROARequest), and V3 ACS3-HMAC-SHA256 (CallApi → DoRequest) in the
// RPC style (path /, query or form body) and the ROA style (an API path,
// a JSON body). darabonba sends Format=json in lower case and
// x-acs-action / x-acs-version headers on RPC calls (docs/protocol.md §1.1, §7.14).

// newDaraClient returns a darabonba client for the gateway at addr with
// the given key; signatureAlgorithm "v2" selects the HMAC-SHA1 RPC and ROA
// paths of CallApi, "" the V3 default.
func newDaraClient(t *testing.T, addr, id, secret, signatureAlgorithm string) *openapi.Client {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId:     dara.String(id),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(addr),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-hangzhou"),
		ReadTimeout:     dara.Int(int(sdkTimeout.Milliseconds())),
		ConnectTimeout:  dara.Int(int(sdkTimeout.Milliseconds())),
		// The gateway is on loopback: never through an environment proxy
		// (dara/core.go getHttpProxy matches NoProxy against host:port).
		NoProxy: dara.String(addr),
	}
	if signatureAlgorithm != "" {
		cfg.SignatureAlgorithm = dara.String(signatureAlgorithm)
	}
	c, err := openapi.NewClient(cfg)
	require.NoError(t, err, "the darabonba client must build")
	return c
}

// daraResult is the map a darabonba call returns, decoded.
type daraResult struct {
	Body       json.RawMessage   `json:"body"`
	Headers    map[string]string `json:"headers"`
	StatusCode int               `json:"statusCode"`
}

// decodeDara requires a successful call and decodes its body into out.
func decodeDara(t *testing.T, res map[string]any, err error, what string, out any) daraResult {
	t.Helper()
	require.NoError(t, err, "darabonba %s must succeed", what)
	b, err := json.Marshal(res)
	require.NoError(t, err, "the result map must marshal")
	var r daraResult
	require.NoError(t, json.Unmarshal(b, &r), "the result map must decode")
	assert.Equal(t, http.StatusOK, r.StatusCode, "status of %s", what)
	assert.Equal(t, gateway.ContentTypeJSON, r.Headers["content-type"], "%s is answered in JSON (Format=json, Accept: application/json)", what)
	var env struct{ RequestId string } //nolint:revive
	require.NoError(t, json.Unmarshal(r.Body, &env), "the body of %s must be a JSON object: %s", what, r.Body)
	assert.Regexp(t, requestIDPattern, env.RequestId, "RequestId of %s", what)
	assert.Equal(t, env.RequestId, r.Headers["x-acs-request-id"], "x-acs-request-id echoes the RequestId of %s", what)
	if out != nil {
		require.NoError(t, json.Unmarshal(r.Body, out), "the body of %s must decode: %s", what, r.Body)
	}
	return r
}

func daraCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	t.Cleanup(cancel)
	return ctx
}

func strMap(kv ...string) map[string]*string {
	m := make(map[string]*string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = dara.String(kv[i+1])
	}
	return m
}

// rpcParams are the CallApi params of an RPC-style action.
func rpcParams(action, version, method, reqBodyType string) *openapi.Params {
	return &openapi.Params{
		Action: dara.String(action), Version: dara.String(version), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String(method), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String(reqBodyType), BodyType: dara.String("json"),
	}
}

// roaParams are the CallApi params of a ROA-style action.
func roaParams(action, version, method, path string) *openapi.Params {
	return &openapi.Params{
		Action: dara.String(action), Version: dara.String(version), Protocol: dara.String("HTTP"),
		Pathname: dara.String(path), Method: dara.String(method), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
}

// TestDarabonbaRPC signs RPC calls with HMAC-SHA1: DoRPCRequest directly,
// and CallApi with SignatureAlgorithm "v2", with parameters in the query
// and in a form body (OpenApiRequest.Body), every tricky value round-
// tripping through a virtual host name.
func TestDarabonbaRPC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// call runs one RPC action with query parameters q and form
		// parameters body.
		call func(c *openapi.Client, ctx context.Context, action, version, method string, q map[string]*string, body map[string]any) (map[string]any, error)
	}{
		{"DoRPCRequest", func(c *openapi.Client, ctx context.Context, action, version, method string, q map[string]*string, body map[string]any) (map[string]any, error) {
			req := &openapi.OpenApiRequest{Query: q}
			if body != nil {
				req.Body = body
			}
			return c.DoRPCRequestWithCtx(ctx, dara.String(action), dara.String(version), dara.String("HTTP"), dara.String(method),
				dara.String("AK"), dara.String("json"), req, &dara.RuntimeOptions{})
		}},
		{"CallApi-v2", func(c *openapi.Client, ctx context.Context, action, version, method string, q map[string]*string, body map[string]any) (map[string]any, error) {
			req := &openapi.OpenApiRequest{Query: q}
			if body != nil {
				req.Body = body
			}
			return c.CallApiWithCtx(ctx, rpcParams(action, version, method, "formData"), req, &dara.RuntimeOptions{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			c := newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, "v2")
			ctx := daraCtx(t)

			var instances instanceList
			res, err := tc.call(c, ctx, "ListInstances", rabbitVersion, "GET", strMap("MaxResults", "1"), nil)
			decodeDara(t, res, err, "ListInstances", &instances)
			require.Len(t, instances.Data.Instances, 1, "MaxResults=1 gives one instance")
			assert.Equal(t, "SERVING", instances.Data.Instances[0].Status, "instance Status")
			assert.NotEmpty(t, instances.Data.Instances[0].InstanceId, "instance InstanceId")

			const inst = "amqp-cn-dara-rpc"
			var want []string
			for i, v := range trickyValues {
				var q map[string]*string
				var body map[string]any
				if i%2 == 0 { // alternate the placement: query, then form body
					q = strMap("InstanceId", inst, "VirtualHost", v.value)
				} else {
					q = strMap("InstanceId", inst)
					body = map[string]any{"VirtualHost": v.value}
				}
				res, err := tc.call(c, ctx, "CreateVirtualHost", rabbitVersion, "POST", q, body)
				decodeDara(t, res, err, "CreateVirtualHost "+v.name, nil)
				want = append(want, v.value)

				res, err = tc.call(c, ctx, "SendMessage", mqttVersion, "POST", strMap("InstanceId", "mqtt-cn-dara"),
					map[string]any{"MqttTopic": "t/" + v.name, "Payload": v.value})
				var sent msgSent
				decodeDara(t, res, err, "SendMessage "+v.name, &sent)
				assert.NotEmpty(t, sent.MsgId, "SendMessage answers a MsgId")
			}
			var list vhostList
			res, err = tc.call(c, ctx, "ListVirtualHosts", rabbitVersion, "GET", strMap("InstanceId", inst), nil)
			decodeDara(t, res, err, "ListVirtualHosts", &list)
			names := vhostNames(list)
			for _, v := range want {
				assert.Contains(t, names, v, "virtual host %q must be listed under exactly that name", v)
			}
			assert.Len(t, names, len(want)+1, "one virtual host per name, plus /")
		})
	}
}

// TestDarabonbaROA signs ROA calls with HMAC-SHA1 (DoROARequest: no
// Content-MD5, a nonce header, a JSON body; DoROARequestWithForm: a form
// body): the generic appEnv route with raw-signed query values, and the
// RabbitMQ and MQTT routes with a path parameter, bodies and DELETE.
func TestDarabonbaROA(t *testing.T) {
	t.Parallel()
	srv := startSDKGateway(t, gateway.Config{})
	addr, _, _ := addrOf(srv)
	c := newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, "v2")
	ctx := daraCtx(t)
	roa := func(action, version, method, path string, q map[string]*string, body any) (map[string]any, error) {
		req := &openapi.OpenApiRequest{Query: q}
		if body != nil {
			req.Body = body
		}
		return c.DoROARequestWithCtx(ctx, dara.String(action), dara.String(version), dara.String("HTTP"), dara.String(method),
			dara.String("AK"), dara.String(path), dara.String("json"), req, &dara.RuntimeOptions{})
	}

	for _, v := range trickyValues {
		var got appEnvBody
		res, err := roa(gateway.AppEnvAction, anyVersion, "GET", "/pop/v1/wam/appEnv", strMap("appName", "my app", "env", "", "tag", v.value), nil)
		decodeDara(t, res, err, "appEnv "+v.name, &got)
		assert.Equal(t, "my app", got.Data.AppName, "appName echoed")
		assert.Equal(t, v.value, got.Data.Tag, "tag %q must arrive exactly", v.value)
	}

	const inst = "amqp-cn-dara-roa"
	res, err := roa("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts", nil, map[string]any{"VirtualHost": "roa a*b 中文"})
	decodeDara(t, res, err, "CreateVirtualHost over ROA", nil)
	var list vhostList
	res, err = roa("ListVirtualHosts", rabbitVersion, "GET", "/instances/"+inst+"/vhosts", strMap("MaxResults", "5"), nil)
	decodeDara(t, res, err, "ListVirtualHosts over ROA", &list)
	assert.Equal(t, []string{"/", "roa a*b 中文"}, vhostNames(list), "the virtual host created from a JSON body is listed")
	assert.Equal(t, 5, list.Data.MaxResults, "MaxResults from the ROA query")

	res, err = roa("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts", nil, map[string]any{"VirtualHost": "temp"})
	decodeDara(t, res, err, "CreateVirtualHost temp", nil)
	res, err = roa("DeleteVirtualHost", rabbitVersion, "DELETE", "/instances/"+inst+"/vhosts/temp", nil, nil)
	decodeDara(t, res, err, "DeleteVirtualHost over ROA", nil)
	list = vhostList{}
	res, err = roa("ListVirtualHosts", rabbitVersion, "GET", "/instances/"+inst+"/vhosts", nil, nil)
	decodeDara(t, res, err, "ListVirtualHosts after delete", &list)
	assert.Equal(t, []string{"/", "roa a*b 中文"}, vhostNames(list), "a deleted virtual host must disappear")

	// CallApi "v2" with a ROA form body goes through DoROARequestWithForm.
	formParams := roaParams("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts")
	formParams.ReqBodyType = dara.String("formData")
	res, err = c.CallApiWithCtx(ctx, formParams, &openapi.OpenApiRequest{Body: map[string]any{"VirtualHost": "form a+b 中文"}}, &dara.RuntimeOptions{})
	decodeDara(t, res, err, "CreateVirtualHost over ROA with a form body", nil)
	list = vhostList{}
	res, err = roa("ListVirtualHosts", rabbitVersion, "GET", "/instances/"+inst+"/vhosts", nil, nil)
	decodeDara(t, res, err, "ListVirtualHosts after the form create", &list)
	assert.Equal(t, []string{"/", "form a+b 中文", "roa a*b 中文"}, vhostNames(list), "the virtual host created from a ROA form body is listed")

	var groups groupList
	res, err = roa("CreateGroupId", mqttVersion, "POST", "/groups", strMap("InstanceId", "mqtt-cn-dara", "GroupId", "GID_dara"), nil)
	decodeDara(t, res, err, "CreateGroupId over ROA", nil)
	res, err = roa("ListGroupId", mqttVersion, "GET", "/groups", strMap("InstanceId", "mqtt-cn-dara"), nil)
	decodeDara(t, res, err, "ListGroupId over ROA", &groups)
	require.Len(t, groups.Data, 1, "the group created over ROA is listed")
	assert.Equal(t, "GID_dara", groups.Data[0].GroupId, "GroupId")
	assert.Equal(t, "mqtt-cn-dara", groups.Data[0].InstanceId, "InstanceId")
}

// TestDarabonbaV3 signs with ACS3-HMAC-SHA256, CallApi's default: RPC
// style (path /) with parameters in the query and in a form body, and ROA
// style with an API path and a JSON body.
func TestDarabonbaV3(t *testing.T) {
	t.Parallel()

	t.Run("rpc-style", func(t *testing.T) {
		t.Parallel()
		srv := startSDKGateway(t, gateway.Config{})
		addr, _, _ := addrOf(srv)
		c := newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, "")
		ctx := daraCtx(t)
		const inst = "amqp-cn-dara-v3"
		var want []string
		for i, v := range trickyValues {
			req := &openapi.OpenApiRequest{Query: strMap("InstanceId", inst)}
			if i%2 == 0 {
				req.Query["VirtualHost"] = dara.String(v.value)
			} else {
				req.Body = map[string]any{"VirtualHost": v.value}
			}
			res, err := c.CallApiWithCtx(ctx, rpcParams("CreateVirtualHost", rabbitVersion, "POST", "formData"), req, &dara.RuntimeOptions{})
			decodeDara(t, res, err, "V3 CreateVirtualHost "+v.name, nil)
			want = append(want, v.value)

			res, err = c.CallApiWithCtx(ctx, rpcParams("SendMessage", mqttVersion, "POST", "formData"),
				&openapi.OpenApiRequest{Query: strMap("InstanceId", "mqtt-cn-v3"), Body: map[string]any{"MqttTopic": "t/a", "Payload": v.value}},
				&dara.RuntimeOptions{})
			var sent msgSent
			decodeDara(t, res, err, "V3 SendMessage "+v.name, &sent)
			assert.NotEmpty(t, sent.MsgId, "SendMessage answers a MsgId")
		}
		var list vhostList
		res, err := c.CallApiWithCtx(ctx, rpcParams("ListVirtualHosts", rabbitVersion, "GET", "formData"),
			&openapi.OpenApiRequest{Query: strMap("InstanceId", inst)}, &dara.RuntimeOptions{})
		decodeDara(t, res, err, "V3 ListVirtualHosts", &list)
		names := vhostNames(list)
		for _, v := range want {
			assert.Contains(t, names, v, "virtual host %q must be listed under exactly that name", v)
		}
		assert.Len(t, names, len(want)+1, "one virtual host per name, plus /")

		var instances instanceList
		res, err = c.CallApiWithCtx(ctx, rpcParams("ListInstances", rabbitVersion, "GET", "formData"),
			&openapi.OpenApiRequest{Query: strMap("MaxResults", "2")}, &dara.RuntimeOptions{})
		decodeDara(t, res, err, "V3 ListInstances", &instances)
		assert.Len(t, instances.Data.Instances, 2, "V3 ListInstances lists the demo instances")
	})

	t.Run("roa-style", func(t *testing.T) {
		t.Parallel()
		srv := startSDKGateway(t, gateway.Config{})
		addr, _, _ := addrOf(srv)
		c := newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, "")
		ctx := daraCtx(t)
		call := func(action, version, method, path string, q map[string]*string, body any) (map[string]any, error) {
			req := &openapi.OpenApiRequest{Query: q}
			if body != nil {
				req.Body = body
			}
			return c.CallApiWithCtx(ctx, roaParams(action, version, method, path), req, &dara.RuntimeOptions{})
		}
		const inst = "amqp-cn-v3-roa"
		res, err := call("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts", nil, map[string]any{"VirtualHost": "v3 a*b~c 中文"})
		decodeDara(t, res, err, "V3 ROA CreateVirtualHost", nil)
		// A path parameter that needs escaping, escaped as the generated
		// SDKs escape it (openapiutil.GetEncodeParam): the V3 canonical URI
		// is that escaped path (docs/protocol.md §3.2).
		const temp = "temp 中文*~+"
		res, err = call("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts", nil, map[string]any{"VirtualHost": temp})
		decodeDara(t, res, err, "V3 ROA CreateVirtualHost temp", nil)
		res, err = call("DeleteVirtualHost", rabbitVersion, "DELETE",
			"/instances/"+inst+"/vhosts/"+dara.StringValue(openapiutil.GetEncodeParam(dara.String(temp))), nil, nil)
		decodeDara(t, res, err, "V3 ROA DeleteVirtualHost with an escaped path", nil)
		var list vhostList
		res, err = call("ListVirtualHosts", rabbitVersion, "GET", "/instances/"+inst+"/vhosts", strMap("MaxResults", "10"), nil)
		decodeDara(t, res, err, "V3 ROA ListVirtualHosts", &list)
		assert.Equal(t, []string{"/", "v3 a*b~c 中文"}, vhostNames(list), "created listed, deleted gone")

		res, err = call("CreateGroupId", mqttVersion, "POST", "/groups", strMap("InstanceId", "mqtt-cn-v3"), map[string]any{"GroupId": "GID_v3roa"})
		decodeDara(t, res, err, "V3 ROA CreateGroupId", nil)
		var groups groupList
		res, err = call("ListGroupId", mqttVersion, "GET", "/groups", strMap("InstanceId", "mqtt-cn-v3"), nil)
		decodeDara(t, res, err, "V3 ROA ListGroupId", &groups)
		require.Len(t, groups.Data, 1, "the group created over V3 ROA is listed")
		assert.Equal(t, "GID_v3roa", groups.Data[0].GroupId, "GroupId")
		assert.Equal(t, "mqtt-cn-v3", groups.Data[0].InstanceId, "InstanceId")

		for _, v := range trickyValues {
			var got appEnvBody
			res, err = call(gateway.AppEnvAction, anyVersion, "GET", "/pop/v1/wam/appEnv", strMap("appName", "my app", "env", "", "tag", v.value), nil)
			decodeDara(t, res, err, "V3 ROA appEnv "+v.name, &got)
			assert.Equal(t, v.value, got.Data.Tag, "tag %q must arrive exactly over V3", v.value)
		}
	})
}

// TestDarabonbaErrors checks that darabonba surfaces the gateway's
// errors with their code and status, for each signing path: a wrong
// secret is SignatureDoesNotMatch (with the V3 message form of docs/protocol.md
// §4 for ACS3), an unknown key InvalidAccessKeyId.NotFound.
func TestDarabonbaErrors(t *testing.T) {
	t.Parallel()
	const wrong = "not-the-secret"
	for _, tc := range []struct {
		name, id, secret, algorithm string
		call                        func(c *openapi.Client, ctx context.Context) (map[string]any, error)
		status                      int
		code, message               string
	}{
		{name: "rpc-v2/wrong-secret", id: gateway.DemoKeyID, secret: wrong, algorithm: "v2",
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, rpcParams("ListInstances", rabbitVersion, "POST", "formData"),
					&openapi.OpenApiRequest{Query: strMap("MaxResults", "1"), Body: map[string]any{"NextToken": "0"}}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&"},
		{name: "roa-v2/wrong-secret", id: gateway.DemoKeyID, secret: wrong, algorithm: "v2",
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.DoROARequestWithCtx(ctx, dara.String("ListGroupId"), dara.String(mqttVersion), dara.String("HTTP"), dara.String("GET"),
					dara.String("AK"), dara.String("/groups"), dara.String("json"), &openapi.OpenApiRequest{Query: strMap("InstanceId", "x")}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature is not matched with our calculation. server string to sign is:GET\napplication/json\n"},
		{name: "v3-rpc/wrong-secret", id: gateway.DemoKeyID, secret: wrong,
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, rpcParams("ListInstances", rabbitVersion, "GET", "formData"),
					&openapi.OpenApiRequest{Query: strMap("MaxResults", "1")}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\n"},
		{name: "v3-roa/wrong-secret", id: gateway.DemoKeyID, secret: wrong,
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, roaParams("CreateVirtualHost", rabbitVersion, "POST", "/instances/x/vhosts"),
					&openapi.OpenApiRequest{Body: map[string]any{"VirtualHost": "v"}}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeSignatureDoesNotMatch, message: "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\n"},
		{name: "v3-rpc/unknown-key", id: "nosuchkey", secret: gateway.DemoKeySecret,
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, rpcParams("ListInstances", rabbitVersion, "GET", "formData"), &openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
			},
			status: 404, code: gateway.CodeKeyNotFound, message: "Specified access key is not found."},
		{name: "rpc-v2/inactive-key", id: gateway.DemoInactiveKeyID, secret: gateway.DemoInactiveKey, algorithm: "v2",
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, rpcParams("ListInstances", rabbitVersion, "GET", "formData"), &openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeKeyInactive, message: "Specified access key is disabled."},
		{name: "v3-rpc/wrong-version", id: gateway.DemoKeyID, secret: gateway.DemoKeySecret,
			call: func(c *openapi.Client, ctx context.Context) (map[string]any, error) {
				return c.CallApiWithCtx(ctx, rpcParams("ListInstances", badVersion, "GET", "formData"), &openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
			},
			status: 400, code: gateway.CodeInvalidVersion, message: "Specified parameter Version is not valid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			addr, _, _ := addrOf(srv)
			c := newDaraClient(t, addr, tc.id, tc.secret, tc.algorithm)
			_, err := tc.call(c, daraCtx(t))
			require.Error(t, err, "the gateway must refuse the request")
			var se *tea.SDKError
			require.ErrorAs(t, err, &se, "darabonba wraps a gateway error in a tea.SDKError")
			assert.Equal(t, tc.code, tea.StringValue(se.Code), "error code")
			assert.Equal(t, tc.status, tea.IntValue(se.StatusCode), "HTTP status of %s", tc.code)
			// darabonba's message: "code: <status>, <Message> request id: <RequestId>".
			msg := tea.StringValue(se.Message)
			assert.Contains(t, msg, tc.message, "the gateway's message reaches the caller")
			assert.Regexp(t, `request id: [0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}`, msg, "the RequestId reaches the caller")
			if tc.code == gateway.CodeSignatureDoesNotMatch && strings.Contains(tc.message, "ACS3") {
				assert.Regexp(t, `server StringToSign is \[ACS3-HMAC-SHA256\n[0-9a-f]{64}\]`, msg, "the V3 server string to sign is the algorithm and a hex hash")
			}
		})
	}
}
