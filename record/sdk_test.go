package record_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/signature"
)

// The official Go SDKs, recorded through the reference gateway, and the
// report of each: it must say what their source does (docs/protocol.md §1.1, §2.1,
// §7.14), as the SDKs are driven in gateway/sdk_test.go and
// gateway/sdk_darabonba_test.go.

const (
	mqttVersion   = "2020-04-20"
	rabbitVersion = "2019-12-12"
	anyVersion    = "2019-12-11" // the generic appEnv route
	sdkTimeout    = 5 * time.Second
)

// recorded serves a gateway on 127.0.0.1 through a recorder; stop closes
// both and returns the client report of the recording.
func recorded(t *testing.T) (addr string, stop func() *record.Report) {
	t.Helper()
	g, err := gateway.New(gateway.Config{})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "rec")
	secrets := map[string]signature.Secret{}
	for _, k := range g.Config().Keys {
		secrets[k.ID] = k.Secret
	}
	rec, err := record.New(record.Options{Dir: dir, Secret: func(id string) (signature.Secret, bool) { s, ok := secrets[id]; return s, ok }})
	require.NoError(t, err)
	srv := httptest.NewServer(rec.Wrap(g.Handler()))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), func() *record.Report {
		srv.Close()
		require.NoError(t, rec.Close(), "the recording is written whole")
		m, recs, err := record.Load(dir)
		require.NoError(t, err)
		return record.Build(dir, m, recs)
	}
}

// forms returns the values seen for a rule, with their classes.
func forms(t *testing.T, rep *record.Report, rule string) map[string]record.Seen {
	t.Helper()
	out := map[string]record.Seen{}
	for _, r := range rep.Rules {
		if r.ID == rule {
			for _, s := range r.Forms {
				out[s.Value] = s
			}
			return out
		}
	}
	t.Fatalf("no rule %s in the report", rule)
	return nil
}

// assertForm asserts that the report saw exactly these values for a rule,
// and the class of each.
func assertForm(t *testing.T, rep *record.Report, rule string, want map[string]string) {
	t.Helper()
	got := forms(t, rep, rule)
	classes := map[string]string{}
	for v, s := range got {
		classes[v] = s.Class
	}
	assert.Equal(t, want, classes, "rule %s", rule)
}

func TestRecordAliyunSDK(t *testing.T) {
	t.Parallel()
	addr, stop := recorded(t)
	host, port, _ := net.SplitHostPort(addr)
	//lint:ignore SA1019 the constructor most callers use
	c, err := sdk.NewClientWithAccessKey("cn-hangzhou", gateway.DemoKeyID, gateway.DemoKeySecret)
	require.NoError(t, err)
	c.SetConnectTimeout(sdkTimeout)
	c.SetReadTimeout(sdkTimeout)
	c.SetNoProxy("127.0.0.1")
	call := func(r *requests.CommonRequest) {
		resp, err := c.ProcessCommonRequest(r)
		require.NoError(t, err, "%s%s", r.ApiName, r.PathPattern)
		require.Equal(t, http.StatusOK, resp.GetHttpStatus())
	}
	rpc := func(method, version, action string, q map[string]string) {
		r := requests.NewCommonRequest()
		r.Method, r.Scheme, r.Domain, r.Version, r.ApiName = method, "http", addr, version, action
		for k, v := range q {
			r.QueryParams[k] = v
		}
		call(r)
	}
	rpc("GET", rabbitVersion, "ListInstances", map[string]string{"MaxResults": "1"})
	rpc("POST", mqttVersion, "SendMessage", map[string]string{"InstanceId": "mqtt-cn-rec", "MqttTopic": "t/a", "Payload": "hello world ~ a*b"})
	roa := requests.NewCommonRequest()
	roa.Method, roa.Scheme, roa.Domain, roa.Port, roa.Version, roa.PathPattern = "GET", "http", host, port, anyVersion, "/pop/v1/wam/appEnv"
	roa.QueryParams["appName"], roa.QueryParams["env"] = "my app", ""
	call(roa)

	rep := stop()
	require.Equal(t, 3, rep.Requests)
	assert.Zero(t, rep.Departures, "the official SDK departs from nothing")
	assert.Equal(t, []record.Count{{Name: "OK", Requests: 3}}, rep.Verdicts)
	assertForm(t, rep, record.RuleSignature, map[string]string{record.ValueVerified: record.ClassDocumented})
	// alibaba-cloud-sdk-go sends SignatureType= and RegionId on every RPC
	// call (rpc_signature_composer.go), Format=JSON.
	assertForm(t, rep, signature.AspectRPCSignatureType, map[string]string{"SignatureType=": record.ClassVariant})
	assert.Contains(t, forms(t, rep, signature.AspectRPCSignatureType)["SignatureType="].Clients, signature.ClientAliyunSDKGo)
	assertForm(t, rep, signature.AspectRPCRegionID, map[string]string{record.ValueAlways: record.ClassVariant})
	assertForm(t, rep, signature.AspectRPCFormatCase, map[string]string{"JSON": record.ClassDocumented})
	// Its query is url.Values-encoded: a space '+', '~' raw, '*' %2A.
	assertForm(t, rep, record.RuleWireSpace, map[string]string{"+": record.ClassVariant})
	assertForm(t, rep, record.RuleWireTilde, map[string]string{"~": record.ClassDocumented})
	assertForm(t, rep, record.RuleWireStar, map[string]string{"%2A": record.ClassDocumented})
	// ROA: Content-MD5 always, no nonce, Content-Type
	// application/octet-stream on a GET, the empty value signed "k".
	assertForm(t, rep, signature.AspectROAContentMD5, map[string]string{record.ValueSent: record.ClassDocumented})
	assertForm(t, rep, signature.AspectROANonce, map[string]string{record.ValueAbsent: record.ClassVariant})
	assertForm(t, rep, signature.AspectROAGetContentType, map[string]string{"application/octet-stream": record.ClassVariant})
	assertForm(t, rep, signature.AspectROAEmptyValue, map[string]string{"k": record.ClassDocumented})
	assertForm(t, rep, record.RuleNonceForm, map[string]string{record.ValueHex32: record.ClassDocumented})
	assertForm(t, rep, record.RuleNonceUnique, map[string]string{record.ValueUnique: record.ClassDocumented})
	assertForm(t, rep, record.RuleTimestampForm, map[string]string{record.ValueISOZ: record.ClassDocumented, record.ValueRFC1123: record.ClassDocumented})
	assertForm(t, rep, record.RuleTimestampSkew, map[string]string{record.ValueInWindow: record.ClassDocumented})
	assertForm(t, rep, record.RuleStyle, map[string]string{"rpc": record.ClassDocumented, "roa": record.ClassDocumented})
}

func TestRecordDarabonba(t *testing.T) {
	t.Parallel()
	addr, stop := recorded(t)
	client := func(alg string) *openapi.Client {
		cfg := &openapi.Config{
			AccessKeyId: dara.String(gateway.DemoKeyID), AccessKeySecret: dara.String(gateway.DemoKeySecret),
			Endpoint: dara.String(addr), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"),
			ReadTimeout: dara.Int(int(sdkTimeout.Milliseconds())), ConnectTimeout: dara.Int(int(sdkTimeout.Milliseconds())),
			NoProxy: dara.String(addr),
		}
		if alg != "" {
			cfg.SignatureAlgorithm = dara.String(alg)
		}
		c, err := openapi.NewClient(cfg)
		require.NoError(t, err)
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok := func(res map[string]any, err error, what string) {
		require.NoError(t, err, what)
		assert.Equal(t, "200", fmt.Sprint(res["statusCode"]), what)
	}
	str := func(kv ...string) map[string]*string {
		m := map[string]*string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = dara.String(kv[i+1])
		}
		return m
	}
	v2 := client("v2")
	rt := &dara.RuntimeOptions{}
	res, err := v2.DoRPCRequestWithCtx(ctx, dara.String("ListInstances"), dara.String(rabbitVersion), dara.String("HTTP"), dara.String("GET"),
		dara.String("AK"), dara.String("json"), &openapi.OpenApiRequest{Query: str("MaxResults", "1")}, rt)
	ok(res, err, "DoRPCRequest ListInstances")
	res, err = v2.DoRPCRequestWithCtx(ctx, dara.String("SendMessage"), dara.String(mqttVersion), dara.String("HTTP"), dara.String("POST"),
		dara.String("AK"), dara.String("json"), &openapi.OpenApiRequest{Query: str("InstanceId", "mqtt-cn-rec"), Body: map[string]any{"MqttTopic": "t/a", "Payload": "hello world"}}, rt)
	ok(res, err, "DoRPCRequest SendMessage")
	roa := func(action, version, method, path string, q map[string]*string, body any) {
		req := &openapi.OpenApiRequest{Query: q}
		if body != nil {
			req.Body = body
		}
		res, err := v2.DoROARequestWithCtx(ctx, dara.String(action), dara.String(version), dara.String("HTTP"), dara.String(method),
			dara.String("AK"), dara.String(path), dara.String("json"), req, rt)
		ok(res, err, "DoROARequest "+action)
	}
	roa(gateway.AppEnvAction, anyVersion, "GET", "/pop/v1/wam/appEnv", str("appName", "my app", "env", ""), nil)
	const inst, temp = "amqp-cn-rec", "temp 中文"
	roa("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts", nil, map[string]any{"VirtualHost": temp})
	// A path parameter escaped as the generated SDKs escape it: darabonba
	// signs the path as escaped (docs/protocol.md §3.2, §9 F9).
	roa("DeleteVirtualHost", rabbitVersion, "DELETE", "/instances/"+inst+"/vhosts/"+dara.StringValue(openapiutil.GetEncodeParam(dara.String(temp))), nil, nil)
	v3 := client("")
	res, err = v3.CallApiWithCtx(ctx, &openapi.Params{
		Action: dara.String("ListInstances"), Version: dara.String(rabbitVersion), Protocol: dara.String("HTTP"), Pathname: dara.String("/"),
		Method: dara.String("GET"), AuthType: dara.String("AK"), Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}, &openapi.OpenApiRequest{Query: str("MaxResults", "2")}, rt)
	ok(res, err, "V3 ListInstances")

	rep := stop()
	for _, r := range rep.Rules {
		if r.Class == record.ClassDeparture {
			t.Logf("departure %s: %+v", r.ID, r.Forms)
		}
	}
	require.Equal(t, 6, rep.Requests)
	assert.Zero(t, rep.Departures, "the official SDK departs from nothing")
	assertForm(t, rep, record.RuleSignature, map[string]string{record.ValueVerified: record.ClassDocumented})
	// darabonba sends Format=json in lower case, neither SignatureType nor
	// RegionId (client.go DoRPCRequest).
	assertForm(t, rep, signature.AspectRPCFormatCase, map[string]string{"json": record.ClassVariant})
	assert.Contains(t, forms(t, rep, signature.AspectRPCFormatCase)["json"].Clients, signature.ClientDarabonbaGo)
	assertForm(t, rep, signature.AspectRPCSignatureType, map[string]string{record.ValueAbsent: record.ClassDocumented})
	assertForm(t, rep, signature.AspectRPCRegionID, map[string]string{record.ValueWhenGiven: record.ClassDocumented})
	assertForm(t, rep, record.RuleRPCPlacement, map[string]string{"query": record.ClassDocumented, "query and form body": record.ClassDocumented})
	// ROA: no Content-MD5, a nonce, no Content-Type on a GET, the empty
	// value signed "k", an escaped path signed escaped.
	assertForm(t, rep, signature.AspectROAContentMD5, map[string]string{record.ValueAbsent: record.ClassVariant})
	assertForm(t, rep, signature.AspectROANonce, map[string]string{record.ValueSent: record.ClassDocumented})
	assertForm(t, rep, signature.AspectROAGetContentType, map[string]string{record.ValueAbsent: record.ClassDocumented})
	assertForm(t, rep, signature.AspectROAEmptyValue, map[string]string{"k": record.ClassDocumented})
	assertForm(t, rep, signature.AspectROAPath, map[string]string{"escaped": record.ClassVariant})
	assert.Contains(t, forms(t, rep, signature.AspectROAPath)["escaped"].Clients, signature.ClientDarabonbaGo)
	// V3: the body hashed, every required header signed.
	assertForm(t, rep, record.RuleV3ContentSHA256, map[string]string{record.ValueMatches: record.ClassDocumented})
	assertForm(t, rep, record.RuleAccept, map[string]string{"application/json": record.ClassDocumented})
	assertForm(t, rep, record.RuleStyle, map[string]string{"rpc": record.ClassDocumented, "roa": record.ClassDocumented, "v3": record.ClassDocumented})
}
