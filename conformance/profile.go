package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/product"
)

// Profile describes one product API of a target: what to call and how, so
// that the scenarios, which are written once, can address any gateway that
// speaks the protocol.
type Profile struct {
	// Product is the product code ("onsmqtt"); scenarios name it.
	Product string `yaml:"product"`
	// Version is the API version.
	Version string `yaml:"version"`
	// DefaultFormat is the RPC response format without a Format
	// parameter: JSON or XML.
	DefaultFormat string `yaml:"default_format"`
	// Host is the Host header to send; "" sends the target URL's host.
	Host string `yaml:"host"`
	// Probe is a benign action every signature check calls.
	Probe ActionRef `yaml:"probe"`
	// Business is an action with a required business parameter, for the
	// MissingParameter checks; optional.
	Business *ActionRef `yaml:"business"`
	// ROA is a route for the ROA style (and V3 in ROA form); without it,
	// ROA scenarios are skipped.
	ROA *Route `yaml:"roa"`
}

// ActionRef is an action and the parameters it is called with.
type ActionRef struct {
	Action string `yaml:"action"`
	// Method is GET or POST; "" means GET.
	Method string    `yaml:"method"`
	Params OrderedKV `yaml:"params"`
	// Required names the business parameters the action cannot do
	// without, in the order the gateway checks them.
	Required []string `yaml:"required"`
}

// Route is a ROA route of the target.
type Route struct {
	Action  string    `yaml:"action"`
	Method  string    `yaml:"method"`
	Path    string    `yaml:"path"`
	Version string    `yaml:"version"`
	Params  OrderedKV `yaml:"params"`
}

// OrderedKV is a YAML mapping read in order.
type OrderedKV []KV

// UnmarshalYAML keeps the mapping's order.
func (o *OrderedKV) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: params must be a mapping of names to values", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: params.%s must be a plain value", v.Line, n.Content[i].Value)
		}
		*o = append(*o, KV{n.Content[i].Value, v.Value})
	}
	return nil
}

// BuiltinProfiles are the profiles of the two products the reference
// gateway serves. Their Host headers route a request on any gateway that
// routes by Host, and their actions exist on the real APIs.
func BuiltinProfiles() []Profile {
	return []Profile{
		{
			Product: product.MQTT.Code, Version: product.MQTT.Version, DefaultFormat: product.MQTT.DefaultFormat,
			Host:     "onsmqtt.cn-hangzhou.aliyuncs.com",
			Probe:    ActionRef{Action: "ListGroupId", Method: "GET", Params: OrderedKV{{"InstanceId", "mqtt-cn-acsharness"}}},
			Business: &ActionRef{Action: "ListGroupId", Method: "GET", Params: OrderedKV{{"InstanceId", "mqtt-cn-acsharness"}}, Required: []string{"InstanceId"}},
			ROA:      &Route{Action: "ListGroupId", Method: "GET", Path: "/groups", Version: product.MQTT.Version, Params: OrderedKV{{"InstanceId", "mqtt-cn-acsharness"}}},
		},
		{
			Product: product.RabbitMQ.Code, Version: product.RabbitMQ.Version, DefaultFormat: product.RabbitMQ.DefaultFormat,
			Host:     "amqp-open.cn-hangzhou.aliyuncs.com",
			Probe:    ActionRef{Action: "ListInstances", Method: "GET", Params: OrderedKV{{"MaxResults", "10"}}},
			Business: &ActionRef{Action: "ListVirtualHosts", Method: "GET", Params: OrderedKV{{"InstanceId", "amqp-cn-acsharness"}}, Required: []string{"InstanceId"}},
			ROA:      &Route{Action: "ListInstances", Method: "GET", Path: "/instances", Version: product.RabbitMQ.Version, Params: OrderedKV{{"MaxResults", "10"}}},
		},
	}
}

// LoadProfile reads a profile file strictly: an unknown key or a missing
// required field is an error naming the line and the fix.
func LoadProfile(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	return ParseProfile(path, b)
}

// ParseProfile parses the content of a profile file named name.
func ParseProfile(name string, b []byte) (Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return p, fmt.Errorf("%s: the profile is empty", name)
		}
		return p, fmt.Errorf("%s: %v (a profile holds product, version, default_format, host, probe, business and roa)", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var missing []string
	if p.Product == "" {
		missing = append(missing, "product")
	}
	if p.Version == "" {
		missing = append(missing, "version")
	}
	if p.Probe.Action == "" {
		missing = append(missing, "probe.action")
	}
	if p.ROA != nil && (p.ROA.Path == "" || !strings.HasPrefix(p.ROA.Path, "/")) {
		missing = append(missing, "roa.path (starting with /)")
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("%s: the profile needs %s", name, strings.Join(missing, ", "))
	}
	switch strings.ToUpper(p.DefaultFormat) {
	case "":
		p.DefaultFormat = "JSON"
	case "JSON", "XML":
		p.DefaultFormat = strings.ToUpper(p.DefaultFormat)
	default:
		return p, fmt.Errorf("%s: default_format %q: use JSON or XML", name, p.DefaultFormat)
	}
	if p.Probe.Method == "" {
		p.Probe.Method = "GET"
	}
	return p, nil
}

// ProductCodes returns the product codes of profiles.
func ProductCodes(profiles []Profile) []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Product
	}
	return out
}
