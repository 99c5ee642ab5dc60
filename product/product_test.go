package product

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeedRegionTable(t *testing.T) {
	t.Parallel()
	require.Len(t, MQTT.Regions, 20, "seed 000 lists 20 regions")
	assert.Equal(t, Region{"Internet", "mq-internet-access", "ons.mq-internet-access.aliyuncs.com"}, MQTT.Regions[0])
	assert.Equal(t, Region{"China North 2 Ali Gov", "cn-north-2-gov-1", "ons.cn-north-2-gov-1.aliyuncs.com"}, MQTT.Regions[19])
	seen := map[string]bool{}
	for _, r := range MQTT.Regions {
		assert.False(t, seen[r.ID], "region %s listed twice", r.ID)
		seen[r.ID] = true
		// docs/protocol.md §7.7: the seed's domain column is RocketMQ's ons.*, not the MQTT endpoint.
		assert.Equal(t, "ons."+r.ID+".aliyuncs.com", r.SeedDomain)
		host, err := MQTT.Host(r.ID, Public)
		require.NoError(t, err)
		assert.Equal(t, "onsmqtt."+r.ID+".aliyuncs.com", host)
		assert.NotEqual(t, r.SeedDomain, host, "the endpoint must not be the seed's ons.* domain")
	}
}

func TestHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		p       Profile
		region  string
		network Network
		want    string
		err     string
	}{
		{"mqtt public", MQTT, "cn-hangzhou", Public, "onsmqtt.cn-hangzhou.aliyuncs.com", ""},
		{"mqtt vpc", MQTT, "cn-shanghai", VPC, "onsmqtt-vpc.cn-shanghai.aliyuncs.com", ""},
		{"mqtt internet", MQTT, InternetRegion, Public, "onsmqtt.mq-internet-access.aliyuncs.com", ""},
		{"mqtt internet has no vpc", MQTT, InternetRegion, VPC, "", "no VPC endpoint"},
		{"rabbitmq public", RabbitMQ, "cn-hangzhou", Public, "amqp-open.cn-hangzhou.aliyuncs.com", ""},
		{"rabbitmq vpc", RabbitMQ, "cn-beijing", VPC, "amqp-open-vpc.cn-beijing.aliyuncs.com", ""},
		{"rabbitmq has no internet pseudo-region", RabbitMQ, InternetRegion, Public, "", "unknown region"},
		{"unknown region lists valid ones", MQTT, "mars-1", Public, "", "valid regions are mq-internet-access, cn-hangzhou"},
		{"unknown network", MQTT, "cn-hangzhou", Network("satellite"), "", "use public or vpc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.p.Host(tc.region, tc.network)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			ep, err := tc.p.Endpoint(tc.region, tc.network)
			require.NoError(t, err)
			assert.Equal(t, "https://"+tc.want, ep)
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"onsmqtt": "onsmqtt", "MQTT": "onsmqtt", "OnsMqtt": "onsmqtt",
		"amqp-open": "amqp-open", "rabbitmq": "amqp-open", "RabbitMQ": "amqp-open",
	} {
		p, err := Lookup(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, p.Code, name)
	}
	_, err := Lookup("ecs")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "valid products are onsmqtt")
	assert.Contains(t, err.Error(), "amqp-open")
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "2020-04-20", MQTT.Version)
	assert.Equal(t, "XML", MQTT.DefaultFormat, "seed 001: the default response format is XML")
	assert.Equal(t, "2019-12-12", RabbitMQ.Version)
	assert.Equal(t, "JSON", RabbitMQ.DefaultFormat, "seed 004: the default response format is JSON")
}

func TestForHostAndVersion(t *testing.T) {
	t.Parallel()
	list := Builtin()
	for _, tc := range []struct {
		host     string
		suffixes []string
		want     string
	}{
		{"onsmqtt.cn-hangzhou.aliyuncs.com", nil, "onsmqtt"},
		{"ONSMQTT-VPC.cn-hangzhou.aliyuncs.com:443", nil, "onsmqtt"},
		{"onsmqtt.mq-internet-access.aliyuncs.com", nil, "onsmqtt"},
		{"onsmqtt.cn-north-2-gov-1.aliyuncs.com.", nil, "onsmqtt"}, // a fully qualified name
		{"amqp-open.aliyuncs.com", nil, "amqp-open"},               // seed 004's regionless host
		{"amqp-open.cn-hangzhou.aliyuncs.com:8080", nil, "amqp-open"},
		{"amqp-open-vpc.cn-wulanchabu.aliyuncs.com", nil, "amqp-open"},
		// Issue 9 defect 4: a first label alone is no endpoint.
		{"onsmqtt.example.com", nil, ""},
		{"onsmqtt.xx-nowhere-1.aliyuncs.com", nil, ""},                 // no such region
		{"onsmqtt-vpc.mq-internet-access.aliyuncs.com", nil, ""},       // the internet endpoint has no VPC form
		{"amqp-open.cn-wulanchabu.aliyuncs.com.evil.example", nil, ""}, // the suffix must end the name
		{"onsmqtt.cn-hangzhou.extra.aliyuncs.com", nil, ""},            // one region label only
		{"amqp-open.ap-southeast-6.aliyuncs.com", nil, "amqp-open"},    // RabbitMQ's own table
		{"onsmqtt.ap-southeast-6.aliyuncs.com", nil, ""},               // not in MQTT's table
		{"onsmqtt-internal.cn-hangzhou.aliyuncs.com", nil, ""},         // no such network
		{"ons.cn-hangzhou.aliyuncs.com", nil, ""},                      // RocketMQ, docs/protocol.md §6
		{"onsmqtt.cn-hangzhou.cloud.example.com", nil, ""},             // a private suffix needs the setting
		{"onsmqtt.cn-hangzhou.cloud.example.com", []string{"cloud.example.com"}, "onsmqtt"},
		{"amqp-open.cloud.example.com", []string{".Cloud.Example.com."}, "amqp-open"},
		{"onsmqtt.cn-hangzhou.aliyuncs.com", []string{"cloud.example.com"}, "onsmqtt"}, // the public suffix stays
		{"127.0.0.1:8080", nil, ""},
		{"localhost", nil, ""},
		{"[::1]:8080", nil, ""},
	} {
		p, ok := ForHost(list, tc.host, tc.suffixes...)
		assert.Equal(t, tc.want != "", ok, "%s %v", tc.host, tc.suffixes)
		assert.Equal(t, tc.want, p.Code, "%s %v", tc.host, tc.suffixes)
	}
	own := MQTT
	own.Domain = "mq.example.org"
	p, ok := ForHost([]Profile{own}, "onsmqtt.cn-shanghai.mq.example.org")
	assert.True(t, ok, "a profile's own Domain is its suffix")
	assert.Equal(t, "onsmqtt", p.Code)
	_, ok = ForHost([]Profile{own}, "onsmqtt.cn-shanghai.aliyuncs.com")
	assert.False(t, ok, "a profile with its own Domain is not under aliyuncs.com")

	p, ok = ForVersion(list, "2019-12-12")
	assert.True(t, ok)
	assert.Equal(t, "amqp-open", p.Code)
	_, ok = ForVersion(list, "2014-05-26")
	assert.False(t, ok)
}

func TestParseNetwork(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Network{"": Public, "public": Public, "VPC": VPC} {
		got, err := ParseNetwork(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseNetwork("intranet")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "public or vpc"))
}
