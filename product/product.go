// Package product holds the product profiles the harness knows (ApsaraMQ for
// MQTT and ApsaraMQ for RabbitMQ), their region tables and the endpoint
// rules that turn a product and a region into a host name (docs/protocol.md §6).
package product

import (
	"fmt"
	"slices"
	"strings"
)

// Profile describes one product's POP API: what identifies it on the wire
// and what its responses default to.
type Profile struct {
	// Code is the product code used in endpoint host names ("onsmqtt").
	Code string `yaml:"code" json:"code"`
	// Name is the product's display name.
	Name string `yaml:"name" json:"name"`
	// SDKProduct is the product name of the official SDKs and of the
	// gateway's troubleshooting links ("OnsMqtt").
	SDKProduct string `yaml:"sdk_product" json:"sdk_product"`
	// Aliases are other names accepted on the command line ("mqtt").
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Version is the API version, YYYY-MM-DD.
	Version string `yaml:"version" json:"version"`
	// DefaultFormat is the response format when a request names none, JSON
	// or XML (docs/protocol.md §5; the MQTT and RabbitMQ docs differ).
	DefaultFormat string `yaml:"default_format" json:"default_format"`
	// Style is the signing style of the product's generated SDK requests.
	Style string `yaml:"style" json:"style"`
	// Regions lists the regions the product is offered in.
	Regions []Region `yaml:"regions,omitempty" json:"regions,omitempty"`
	// VPC reports whether the product has "<code>-vpc.<region>" endpoints.
	VPC bool `yaml:"vpc" json:"vpc"`
	// Domain is the endpoint suffix; "" means aliyuncs.com.
	Domain string `yaml:"domain,omitempty" json:"domain,omitempty"`
}

// Region is one row of a region table.
type Region struct {
	Name string `yaml:"name" json:"name"`
	ID   string `yaml:"id" json:"id"`
	// SeedDomain is the domain column as printed in seed 000. For MQTT it
	// reads "ons.<region>.aliyuncs.com", the RocketMQ (Ons) product's
	// domain, while the same page and the official endpoint list give
	// "onsmqtt.<region>.aliyuncs.com" (docs/protocol.md §7.7). It is kept for the
	// record and never used to build an endpoint.
	SeedDomain string `yaml:"seed_domain,omitempty" json:"seed_domain,omitempty"`
}

// Network selects an endpoint family.
type Network string

// The endpoint networks of docs/protocol.md §6.
const (
	Public Network = ""    // <code>.<region>.aliyuncs.com
	VPC    Network = "vpc" // <code>-vpc.<region>.aliyuncs.com
)

// ParseNetwork accepts "", "public" and "vpc".
func ParseNetwork(s string) (Network, error) {
	switch strings.ToLower(s) {
	case "", "public":
		return Public, nil
	case "vpc":
		return VPC, nil
	}
	return "", fmt.Errorf("unknown network %q: use public or vpc", s)
}

// InternetRegion is MQTT's pseudo-region for its public-internet endpoint,
// onsmqtt.mq-internet-access.aliyuncs.com (docs/protocol.md §6).
const InternetRegion = "mq-internet-access"

// MQTT is ApsaraMQ for MQTT: product code onsmqtt, API version 2020-04-20,
// RPC, XML by default (seed 001).
var MQTT = Profile{
	Code:          "onsmqtt",
	Name:          "ApsaraMQ for MQTT",
	SDKProduct:    "OnsMqtt",
	Aliases:       []string{"mqtt", "OnsMqtt"},
	Version:       "2020-04-20",
	DefaultFormat: "XML",
	Style:         "rpc",
	VPC:           true,
	Regions:       mqttRegions,
}

// RabbitMQ is ApsaraMQ for RabbitMQ: product code amqp-open, API version
// 2019-12-12, RPC, JSON by default (seed 004).
var RabbitMQ = Profile{
	Code:          "amqp-open",
	Name:          "ApsaraMQ for RabbitMQ",
	SDKProduct:    "amqp-open",
	Aliases:       []string{"rabbitmq", "amqp"},
	Version:       "2019-12-12",
	DefaultFormat: "JSON",
	Style:         "rpc",
	VPC:           true,
	Regions:       rabbitRegions,
}

// Builtin returns the built-in profiles, MQTT first.
func Builtin() []Profile { return []Profile{MQTT, RabbitMQ} }

// Lookup returns the built-in profile named name: its code or an alias, any
// case. An unknown name is an error listing the valid ones.
func Lookup(name string) (Profile, error) {
	return Find(Builtin(), name)
}

// Find returns the profile of list named name (code or alias, any case).
func Find(list []Profile, name string) (Profile, error) {
	var valid []string
	for _, p := range list {
		if strings.EqualFold(p.Code, name) || slices.ContainsFunc(p.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return p, nil
		}
		valid = append(valid, p.Code)
		valid = append(valid, p.Aliases...)
	}
	return Profile{}, fmt.Errorf("unknown product %q: valid products are %s", name, strings.Join(valid, ", "))
}

// Region returns the row of the region table with this ID. An unknown
// region is an error listing the valid ones.
func (p Profile) Region(id string) (Region, error) {
	for _, r := range p.Regions {
		if r.ID == id {
			return r, nil
		}
	}
	ids := make([]string, len(p.Regions))
	for i, r := range p.Regions {
		ids[i] = r.ID
	}
	return Region{}, fmt.Errorf("unknown region %q for %s: valid regions are %s", id, p.Code, strings.Join(ids, ", "))
}

// Host returns the endpoint host of the product in region on network, by
// the SDKs' regional rule "<code><-network>.<region>.<domain>" (docs/protocol.md §6).
func (p Profile) Host(region string, network Network) (string, error) {
	if _, err := p.Region(region); err != nil {
		return "", err
	}
	domain := p.Domain
	if domain == "" {
		domain = "aliyuncs.com"
	}
	switch network {
	case Public:
		return p.Code + "." + region + "." + domain, nil
	case VPC:
		if !p.VPC || region == InternetRegion {
			return "", fmt.Errorf("%s has no VPC endpoint in %s: use the public network", p.Code, region)
		}
		return p.Code + "-vpc." + region + "." + domain, nil
	}
	return "", fmt.Errorf("unknown network %q: use public or vpc", network)
}

// Endpoint returns the HTTPS base URL of the product in region on network.
// HTTPS is what the MQTT and RabbitMQ docs advise, though the SDKs default
// to HTTP (docs/protocol.md §6).
func (p Profile) Endpoint(region string, network Network) (string, error) {
	h, err := p.Host(region, network)
	if err != nil {
		return "", err
	}
	return "https://" + h, nil
}

// DefaultDomain is the endpoint suffix of the public cloud (docs/protocol.md §6).
const DefaultDomain = "aliyuncs.com"

// ForHost returns the profile whose endpoint host is (a Host header, with
// or without a port), by the endpoint rules of docs/protocol.md §6:
// "<code>.<region>.<suffix>" and, where the profile has VPC endpoints,
// "<code>-vpc.<region>.<suffix>" for a region of the profile's table (the
// internet pseudo-region has no VPC endpoint), or the regionless
// "<code>.<suffix>" of seed 004 (amqp-open.aliyuncs.com). The suffix is the
// profile's Domain (aliyuncs.com when empty) or one of suffixes, a private
// cloud's own. A host under another domain, of an unknown region, or whose
// first label is no product ("ons.<region>" is RocketMQ, not MQTT) matches
// nothing: a first label alone proves nothing (onsmqtt.example.com).
func ForHost(list []Profile, host string, suffixes ...string) (Profile, bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, p := range list {
		own := p.Domain
		if own == "" {
			own = DefaultDomain
		}
		if p.matchHost(host, own) {
			return p, true
		}
		for _, s := range suffixes {
			if p.matchHost(host, strings.Trim(strings.ToLower(s), ".")) {
				return p, true
			}
		}
	}
	return Profile{}, false
}

// matchHost reports whether host is one of p's endpoints under suffix.
func (p Profile) matchHost(host, suffix string) bool {
	rest, ok := strings.CutSuffix(host, "."+suffix)
	if !ok || suffix == "" {
		return false
	}
	code := strings.ToLower(p.Code)
	if rest == code {
		return true // regionless
	}
	label, region, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(region, ".") {
		return false
	}
	vpc := label == code+"-vpc"
	if label != code && !(vpc && p.VPC && region != InternetRegion) {
		return false
	}
	for _, r := range p.Regions {
		if strings.EqualFold(r.ID, region) {
			return true
		}
	}
	return false
}

// ForVersion returns the profile whose API version is v.
func ForVersion(list []Profile, v string) (Profile, bool) {
	for _, p := range list {
		if p.Version == v {
			return p, true
		}
	}
	return Profile{}, false
}
