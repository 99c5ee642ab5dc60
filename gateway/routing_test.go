package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acsharness/acsharness/signature"
)

// TestHostRouting: a Host routes to a product only when it is one of the
// product's endpoints in a region it serves (docs/protocol.md §6, issue 9 defect
// 4), under aliyuncs.com or a private cloud's configured suffix; anything
// else is InvalidProduct.NotFound with a Recommend that names no product
// (docs/protocol.md §9 F12).
func TestHostRouting(t *testing.T) {
	t.Parallel()
	list := func(host string) signature.Request {
		return signature.Request{Style: signature.RPC, Action: "ListInstances", Version: "2019-12-12", Host: host, Format: "JSON"}
	}
	private := Config{EndpointSuffixes: []string{"cloud.example.com"}, Regions: []string{"cn-private-1"}}
	for _, tc := range []struct {
		name   string
		cfg    Config
		host   string
		status int
	}{
		{"regional endpoint", Config{}, "amqp-open.cn-hangzhou.aliyuncs.com", 200},
		{"vpc endpoint", Config{}, "amqp-open-vpc.cn-beijing.aliyuncs.com", 200},
		{"regionless endpoint of seed 004", Config{}, "amqp-open.aliyuncs.com", 200},
		{"a product's first label under another domain", Config{}, "amqp-open.example.com", 404},
		{"an unknown region", Config{}, "amqp-open.xx-nowhere-1.aliyuncs.com", 404},
		{"a private suffix without the setting", Config{}, "amqp-open.cn-hangzhou.cloud.example.com", 404},
		{"a private suffix with the setting", private, "amqp-open.cn-hangzhou.cloud.example.com", 200},
		{"a private region with the setting", private, "amqp-open.cn-private-1.cloud.example.com", 200},
		{"a private region under aliyuncs.com too", private, "amqp-open-vpc.cn-private-1.aliyuncs.com", 200},
		{"still no unknown region with the setting", private, "amqp-open.xx-nowhere-1.cloud.example.com", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv := testGateway(t, tc.cfg)
			a, _ := send(t, srv, demo, list(tc.host), nil)
			assertEnvelope(t, a)
			assert.Equal(t, tc.status, a.status, "%s: %s", tc.host, a.body)
			if tc.status == 404 {
				assert.Equal(t, CodeInvalidProduct, a.code())
				assert.Equal(t, "https://api.aliyun.com/troubleshoot?q="+CodeInvalidProduct, a.env["Recommend"],
					"no product is known: the product-less link, without an empty product=")
			}
		})
	}
}

func TestRoutingSettingsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{EndpointSuffixes: []string{"com"}}, `endpoint_suffix "com": give a domain such as cloud.example.com`},
		{Config{EndpointSuffixes: []string{"https://cloud.example.com"}}, "endpoint_suffix"},
		{Config{Regions: []string{"cn.hangzhou"}}, `region "cn.hangzhou": give a region ID`},
	} {
		_, err := New(tc.cfg)
		if assert.Error(t, err, tc.want) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	// The extra regions go to the gateway's copy of the profiles only.
	g, err := New(Config{Regions: []string{"cn-private-1"}})
	if assert.NoError(t, err) {
		_, err := g.Config().Products[0].Region("cn-private-1")
		assert.NoError(t, err, "the gateway serves the extra region")
	}
	_, err = New(Config{})
	assert.NoError(t, err)
	g2, _ := New(Config{})
	_, err = g2.Config().Products[0].Region("cn-private-1")
	assert.Error(t, err, "another gateway's setting does not leak into the built-in profiles")
}
