package gateway_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

// Regressions of the defects real clients found (issue 9), each driven by
// the official Go client that meets it.

// TestPathParameterHoldingSlash: a RabbitMQ virtual host "team/x" travels
// as %2F in the path. The gateway routes on the escaped segments, so that
// the virtual host that CreateVirtualHost accepted can be deleted, and
// verifies the signature over the escaped path each client signs
// (docs/protocol.md §3.2, §9 F9): darabonba's ROA and V3 signers sign the path as
// escaped, alibaba-cloud-sdk-go signs what its PathPattern became.
func TestPathParameterHoldingSlash(t *testing.T) {
	t.Parallel()
	const vhost = "team/x a"
	escaped := dara.StringValue(openapiutil.GetEncodeParam(dara.String(vhost)))
	require.Equal(t, "team%2Fx%20a", escaped, "the generated SDKs escape a path parameter's slash")

	for _, tc := range []struct {
		name string
		// create and remove run CreateVirtualHost and DeleteVirtualHost of
		// vhost on instance inst, through one client.
		create, remove func(t *testing.T, srv *httptest.Server, inst string)
	}{
		{"darabonba-roa", func(t *testing.T, srv *httptest.Server, inst string) {
			_, err := daraROA(t, srv, "v2").DoROARequestWithCtx(daraCtx(t), dara.String("CreateVirtualHost"), dara.String(rabbitVersion),
				dara.String("HTTP"), dara.String("POST"), dara.String("AK"), dara.String("/instances/"+inst+"/vhosts"), dara.String("json"),
				&openapi.OpenApiRequest{Body: map[string]any{"VirtualHost": vhost}}, &dara.RuntimeOptions{})
			require.NoError(t, err, "darabonba ROA CreateVirtualHost")
		}, func(t *testing.T, srv *httptest.Server, inst string) {
			_, err := daraROA(t, srv, "v2").DoROARequestWithCtx(daraCtx(t), dara.String("DeleteVirtualHost"), dara.String(rabbitVersion),
				dara.String("HTTP"), dara.String("DELETE"), dara.String("AK"), dara.String("/instances/"+inst+"/vhosts/"+escaped), dara.String("json"),
				&openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
			require.NoError(t, err, "darabonba ROA DeleteVirtualHost of %q", vhost)
		}},
		{"darabonba-v3", func(t *testing.T, srv *httptest.Server, inst string) {
			_, err := daraROA(t, srv, "").CallApiWithCtx(daraCtx(t), roaParams("CreateVirtualHost", rabbitVersion, "POST", "/instances/"+inst+"/vhosts"),
				&openapi.OpenApiRequest{Body: map[string]any{"VirtualHost": vhost}}, &dara.RuntimeOptions{})
			require.NoError(t, err, "darabonba V3 CreateVirtualHost")
		}, func(t *testing.T, srv *httptest.Server, inst string) {
			_, err := daraROA(t, srv, "").CallApiWithCtx(daraCtx(t), roaParams("DeleteVirtualHost", rabbitVersion, "DELETE", "/instances/"+inst+"/vhosts/"+escaped),
				&openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
			require.NoError(t, err, "darabonba V3 DeleteVirtualHost of %q", vhost)
		}},
		{"alibaba-cloud-sdk-go-roa", func(t *testing.T, srv *httptest.Server, inst string) {
			r := roaRequest(srv, requests.POST, rabbitVersion, "/instances/[InstanceId]/vhosts", nil)
			r.PathParams["InstanceId"] = inst
			r.FormParams["VirtualHost"] = vhost
			callOK(t, newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret), r, nil)
		}, func(t *testing.T, srv *httptest.Server, inst string) {
			// The SDK puts a path parameter in the path as given: the
			// caller escapes it, as the generated clients do.
			r := roaRequest(srv, requests.DELETE, rabbitVersion, "/instances/[InstanceId]/vhosts/[VirtualHost]", nil)
			r.PathParams["InstanceId"] = inst
			r.PathParams["VirtualHost"] = url.PathEscape(vhost)
			callOK(t, newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret), r, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSDKGateway(t, gateway.Config{})
			const inst = "amqp-cn-demo000001"
			list := func() []string {
				r := roaRequest(srv, requests.GET, rabbitVersion, "/instances/[InstanceId]/vhosts", nil)
				r.PathParams["InstanceId"] = inst
				var l vhostList
				callOK(t, newAliyunClient(t, gateway.DemoKeyID, gateway.DemoKeySecret), r, &l)
				return vhostNames(l)
			}
			tc.create(t, srv, inst)
			assert.Equal(t, []string{"/", vhost}, list(), "the virtual host holding a slash is created under its exact name")
			tc.remove(t, srv, inst)
			assert.Equal(t, []string{"/"}, list(), "and deleted again: the escaped path was routed as three segments")
		})
	}

	// The reproduction, raw: a%2Fb is routed to DeleteVirtualHost
	// (so the bogus signature is what fails), like a%20b; the default
	// virtual host "/" (%2F) is routed too.
	t.Run("raw", func(t *testing.T) {
		t.Parallel()
		srv := startSDKGateway(t, gateway.Config{})
		for _, seg := range []string{"a%2Fb", "a%20b", "%2F"} {
			req, err := http.NewRequest(http.MethodDelete, srv.URL+"/instances/amqp-cn-demo000001/vhosts/"+seg, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "acs testid:AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			req.Header.Set("x-acs-version", rabbitVersion)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			var env struct{ Code string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "DELETE …/vhosts/%s is routed, then fails its signature", seg)
			assert.Equal(t, gateway.CodeSignatureDoesNotMatch, env.Code, "DELETE …/vhosts/%s", seg)
		}
	})
}

// daraROA returns a darabonba client of the demo key for srv: "v2" signs
// ROA with HMAC-SHA1, "" with ACS3-HMAC-SHA256.
func daraROA(t *testing.T, srv *httptest.Server, algorithm string) *openapi.Client {
	addr, _, _ := addrOf(srv)
	return newDaraClient(t, addr, gateway.DemoKeyID, gateway.DemoKeySecret, algorithm)
}

// TestROAEmptyQueryValueEitherForm: for GET /pop/v1/wam/appEnv?appName=
// my%20app&env= the Go SDKs sign "env", the TypeScript openapi-util,
// pop-core and the Python core "env=" (docs/protocol.md §2.2, §9 F8). The wire is
// the same, so the gateway accepts both; the TypeScript client itself runs
// in TestNodeClients, and its string to sign is a fixed vector
// (signature/testdata/vectors/roa-forms.json).
func TestROAEmptyQueryValueEitherForm(t *testing.T) {
	t.Parallel()
	srv := startSDKGateway(t, gateway.Config{})
	b := &signature.Builder{Credentials: gateway.Demo().Main}
	for _, tc := range []struct {
		name string
		// resource turns the Go SDKs' canonical resource into the one signed.
		resource func(string) string
		status   int
		code     string
	}{
		{"bare k, as the Go SDKs sign", func(s string) string { return s }, http.StatusOK, ""},
		{"k=, as the TypeScript, Node and Python clients sign", func(s string) string {
			return strings.Replace(s, "&env&", "&env=&", 1)
		}, http.StatusOK, ""},
		{"neither", func(s string) string { return strings.Replace(s, "&env&", "&env==&", 1) }, http.StatusBadRequest, gateway.CodeSignatureDoesNotMatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := b.Sign(signature.Request{Style: signature.ROA, Endpoint: srv.URL, Path: "/pop/v1/wam/appEnv", Version: anyVersion,
				Query: signature.Params{{Key: "appName", Value: "my app"}, {Key: "env", Value: ""}, {Key: "tag", Value: "t"}}})
			require.NoError(t, err)
			sts := tc.resource(s.Artifacts.StringToSign)
			require.True(t, strings.HasSuffix(s.Artifacts.StringToSign, "/pop/v1/wam/appEnv?appName=my app&env&tag=t"), "the Go form: %q", s.Artifacts.StringToSign)
			mac := hmac.New(sha1.New, []byte(gateway.DemoKeySecret))
			mac.Write([]byte(sts))
			s.Header.Set("Authorization", "acs "+gateway.DemoKeyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
			hr, err := s.HTTPRequest(daraCtx(t))
			require.NoError(t, err)
			require.Contains(t, hr.URL.RawQuery, "env=&", "the wire carries env= either way")
			resp, err := srv.Client().Do(hr)
			require.NoError(t, err)
			defer resp.Body.Close()
			var env struct{ Code, Message string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			assert.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, env.Message)
			assert.Equal(t, tc.code, env.Code, tc.name)
			if tc.code != "" {
				assert.True(t, strings.HasSuffix(env.Message, s.Artifacts.StringToSign), "the echo is the spec's (Go) form: %q", env.Message)
			}
		})
	}
}

// TestThrottlingTellsClientsWhenToRetry: Throttling.User carries the time
// left before the key may call again, as the aliyun CLI reads it
// (x-acs-retry-after, milliseconds) and as darabonba does (the TimeLeft of
// x-ratelimit-user, its ThrottlingError.RetryAfter) (docs/protocol.md §4, §9 F14).
// The clock is the gateway's own, held still and moved by the test, so the
// time left is exact.
func TestThrottlingTellsClientsWhenToRetry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cfg   gateway.Config
		id    string
		key   string
		burst int
		every time.Duration // one request per
	}{
		{"gateway rate 1/s", gateway.Config{RateLimit: 1, RateBurst: 1}, gateway.DemoKeyID, gateway.DemoKeySecret, 1, time.Second},
		{"key rate, burst 2", gateway.Config{Keys: []gateway.Key{{ID: "k", Secret: "s", Status: gateway.KeyActive, RateLimit: 4, RateBurst: 2}}},
			"k", "s", 2, 250 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newManualClock(time.Now().UTC().Truncate(time.Second))
			tc.cfg.Now = clock.Now
			srv := startSDKGateway(t, tc.cfg)
			addr, _, _ := addrOf(srv)
			c := newDaraClient(t, addr, tc.id, tc.key, "v2")
			c.DisableSDKError = dara.Bool(true) // its own *ThrottlingError, not the SDKError wrapping it
			call := func() error {
				_, err := c.DoRPCRequestWithCtx(daraCtx(t), dara.String("ListInstances"), dara.String(rabbitVersion), dara.String("HTTP"),
					dara.String("GET"), dara.String("AK"), dara.String("json"), &openapi.OpenApiRequest{}, &dara.RuntimeOptions{})
				return err
			}
			for i := range tc.burst {
				require.NoError(t, call(), "request %d of the burst passes", i+1)
			}
			for _, elapsed := range []time.Duration{0, tc.every * 2 / 5} {
				clock.Set(clock.Now().Add(elapsed))
				err := call()
				var th *openapi.ThrottlingError
				require.ErrorAs(t, err, &th, "after %v the key is still throttled, and darabonba says so", elapsed)
				assert.Equal(t, gateway.CodeThrottlingUser, dara.StringValue(th.Code))
				want := (tc.every - elapsed - elapsed%time.Millisecond).Milliseconds()
				assert.Equal(t, want, dara.Int64Value(th.RetryAfter), "darabonba's RetryAfter is the real time left, in ms, after %v", elapsed)
			}

			// The same answer, raw: the headers the aliyun CLI and darabonba read.
			b := &signature.Builder{Credentials: signature.Credentials{AccessKeyID: tc.id, AccessKeySecret: signature.Secret(tc.key)}, Now: clock.Now}
			s, err := b.Sign(signature.Request{Style: signature.RPC, Endpoint: srv.URL, Action: "ListInstances", Version: rabbitVersion})
			require.NoError(t, err)
			hr, err := s.HTTPRequest(daraCtx(t))
			require.NoError(t, err)
			resp, err := srv.Client().Do(hr)
			require.NoError(t, err)
			resp.Body.Close()
			left := tc.every - tc.every*2/5
			ms := strconv.FormatInt(left.Milliseconds(), 10)
			assert.Equal(t, ms, resp.Header.Get(gateway.HeaderRetryAfter), "x-acs-retry-after")
			full := time.Duration(tc.burst)*tc.every - tc.every*2/5
			assert.Equal(t, "Limit:"+strconv.Itoa(tc.burst)+",Remain:0,TimeLeft:"+ms+",Reset:"+strconv.FormatInt(full.Milliseconds(), 10),
				resp.Header.Get(gateway.HeaderRateLimitUser), "x-ratelimit-user")

			clock.Set(clock.Now().Add(left))
			require.NoError(t, call(), "once the time left has passed the key may call again")
		})
	}
}
