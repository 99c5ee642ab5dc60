package gateway

import (
	"net/http"

	"github.com/acsharness/acsharness/signature"
)

// ApsaraMQ for RabbitMQ actions, with the response shapes of the official
// SDK's typed structs (alibaba-cloud-sdk-go services/amqp-open). ROA routes:
//
//	GET    /instances                                   ListInstances     (NextToken, MaxResults)
//	GET    /instances/{InstanceId}/vhosts               ListVirtualHosts  (NextToken, MaxResults)
//	POST   /instances/{InstanceId}/vhosts               CreateVirtualHost (VirtualHost)
//	DELETE /instances/{InstanceId}/vhosts/{VirtualHost} DeleteVirtualHost

type tagsItem struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

type instanceVO struct {
	Status            string     `json:"Status" xml:"Status"`
	SupportEIP        bool       `json:"SupportEIP" xml:"SupportEIP"`
	ExpireTime        int64      `json:"ExpireTime" xml:"ExpireTime"`
	OrderCreateTime   int64      `json:"OrderCreateTime" xml:"OrderCreateTime"`
	PrivateEndpoint   string     `json:"PrivateEndpoint" xml:"PrivateEndpoint"`
	StorageSize       int        `json:"StorageSize" xml:"StorageSize"`
	MaxEipTps         int        `json:"MaxEipTps" xml:"MaxEipTps"`
	InstanceId        string     `json:"InstanceId" xml:"InstanceId"` //nolint:revive // the wire name
	InstanceType      string     `json:"InstanceType" xml:"InstanceType"`
	PublicEndpoint    string     `json:"PublicEndpoint" xml:"PublicEndpoint"`
	ClassicEndpoint   string     `json:"ClassicEndpoint" xml:"ClassicEndpoint"`
	MaxVhost          int        `json:"MaxVhost" xml:"MaxVhost"`
	MaxTps            int        `json:"MaxTps" xml:"MaxTps"`
	AutoRenewInstance bool       `json:"AutoRenewInstance" xml:"AutoRenewInstance"`
	InstanceName      string     `json:"InstanceName" xml:"InstanceName"`
	MaxQueue          int        `json:"MaxQueue" xml:"MaxQueue"`
	OrderType         string     `json:"OrderType" xml:"OrderType"`
	Tags              []tagsItem `json:"Tags" xml:"Tags"`
}

type vhostVO struct {
	Name string `json:"Name" xml:"Name"`
}

type listInstancesResponse struct {
	base
	Data instancesPage `json:"Data" xml:"Data"`
}

type instancesPage struct {
	Instances  []instanceVO `json:"Instances" xml:"Instances"`
	NextToken  string       `json:"NextToken" xml:"NextToken"`
	MaxResults int          `json:"MaxResults" xml:"MaxResults"`
}

type listVirtualHostsResponse struct {
	base
	Data vhostsPage `json:"Data" xml:"Data"`
}

type vhostsPage struct {
	VirtualHosts []vhostVO `json:"VirtualHosts" xml:"VirtualHosts"`
	NextToken    string    `json:"NextToken" xml:"NextToken"`
	MaxResults   int       `json:"MaxResults" xml:"MaxResults"`
}

type emptyResponse struct {
	base
}

func (t *tagsItem) fields(w *wire) {
	w.str("Key", t.Key)
	w.str("Value", t.Value)
}

func (v *instanceVO) fields(w *wire) {
	w.str("Status", v.Status)
	w.bool("SupportEIP", v.SupportEIP)
	w.int("ExpireTime", v.ExpireTime)
	w.int("OrderCreateTime", v.OrderCreateTime)
	w.str("PrivateEndpoint", v.PrivateEndpoint)
	w.int("StorageSize", int64(v.StorageSize))
	w.int("MaxEipTps", int64(v.MaxEipTps))
	w.str("InstanceId", v.InstanceId)
	w.str("InstanceType", v.InstanceType)
	w.str("PublicEndpoint", v.PublicEndpoint)
	w.str("ClassicEndpoint", v.ClassicEndpoint)
	w.int("MaxVhost", int64(v.MaxVhost))
	w.int("MaxTps", int64(v.MaxTps))
	w.bool("AutoRenewInstance", v.AutoRenewInstance)
	w.str("InstanceName", v.InstanceName)
	w.int("MaxQueue", int64(v.MaxQueue))
	w.str("OrderType", v.OrderType)
	list(w, "Tags", v.Tags, (*tagsItem).fields)
}

func (v *vhostVO) fields(w *wire) { w.str("Name", v.Name) }

func (r *listInstancesResponse) fields(w *wire) {
	r.base.fields(w)
	object(w, "Data", &r.Data, func(d *instancesPage, w *wire) {
		list(w, "Instances", d.Instances, (*instanceVO).fields)
		w.str("NextToken", d.NextToken)
		w.int("MaxResults", int64(d.MaxResults))
	})
}

func (r *listVirtualHostsResponse) fields(w *wire) {
	r.base.fields(w)
	object(w, "Data", &r.Data, func(d *vhostsPage, w *wire) {
		list(w, "VirtualHosts", d.VirtualHosts, (*vhostVO).fields)
		w.str("NextToken", d.NextToken)
		w.int("MaxResults", int64(d.MaxResults))
	})
}

func (r *emptyResponse) fields(w *wire) { r.base.fields(w) }

// demoInstanceList is built once: ListInstances answered a fresh copy per
// request, nine allocations for constant data. Responses share it and only
// ever read it (page returns a subslice to encode).
var demoInstanceList = demoInstances()

// demoInstances are the RabbitMQ instances ListInstances reports.
func demoInstances() []instanceVO {
	mk := func(id, name, typ string) instanceVO {
		return instanceVO{
			Status: "SERVING", InstanceId: id, InstanceName: name, InstanceType: typ,
			PrivateEndpoint: id + ".mq-amqp.cn-hangzhou-a.aliyuncs.com", PublicEndpoint: id + ".mq-amqp.cn-hangzhou-a-internal.aliyuncs.com",
			ClassicEndpoint: id + ".mq-amqp.cn-hangzhou-a-classic.aliyuncs.com", OrderType: "PRE_PAID",
			OrderCreateTime: 1580000000000, ExpireTime: 4102444800000, StorageSize: 0, MaxTps: 5000, MaxQueue: 1000,
			MaxVhost: 50, MaxEipTps: 128, AutoRenewInstance: true, Tags: []tagsItem{{Key: "env", Value: "demo"}},
		}
	}
	return []instanceVO{
		mk("amqp-cn-demo000001", "demo-professional", "PROFESSIONAL"),
		mk("amqp-cn-demo000002", "demo-enterprise", "ENTERPRISE"),
	}
}

func rabbitActions() []*action {
	return []*action{
		{name: "ListInstances", method: http.MethodGet, path: "/instances",
			handle: func(_ *backend, p signature.Params) (response, *apiError) {
				off, lim, err := pageParams(p)
				if err != nil {
					return nil, err
				}
				out := &listInstancesResponse{}
				out.Data.Instances, out.Data.NextToken = page(demoInstanceList, off, lim)
				out.Data.MaxResults = lim
				return out, nil
			}},
		{name: "ListVirtualHosts", required: []string{"InstanceId"}, method: http.MethodGet, path: "/instances/{InstanceId}/vhosts",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				off, lim, err := pageParams(p)
				if err != nil {
					return nil, err
				}
				inst, _ := p.Get("InstanceId")
				all := []vhostVO{{Name: "/"}}
				for _, name := range sortedKeys(b.vhosts[inst]) {
					all = append(all, vhostVO{Name: name})
				}
				out := &listVirtualHostsResponse{}
				out.Data.VirtualHosts, out.Data.NextToken = page(all, off, lim)
				out.Data.MaxResults = lim
				return out, nil
			}},
		{name: "CreateVirtualHost", required: []string{"InstanceId", "VirtualHost"}, method: http.MethodPost, path: "/instances/{InstanceId}/vhosts",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				inst, _ := p.Get("InstanceId")
				name, _ := p.Get("VirtualHost")
				if name == "/" || b.vhosts[inst][name] {
					return nil, errExists("VirtualHost", name)
				}
				if b.objects >= maxObjects {
					return nil, errQuota
				}
				if b.vhosts[inst] == nil {
					b.vhosts[inst] = map[string]bool{}
				}
				b.vhosts[inst][name] = true
				b.objects++
				return &emptyResponse{}, nil
			}},
		{name: "DeleteVirtualHost", required: []string{"InstanceId", "VirtualHost"}, method: http.MethodDelete, path: "/instances/{InstanceId}/vhosts/{VirtualHost}",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				inst, _ := p.Get("InstanceId")
				name, _ := p.Get("VirtualHost")
				if !b.vhosts[inst][name] {
					return nil, errNotFound("VirtualHost", name)
				}
				delete(b.vhosts[inst], name)
				b.objects--
				return &emptyResponse{}, nil
			}},
	}
}
