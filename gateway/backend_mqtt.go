package gateway

import (
	"net/http"
	"regexp"

	"github.com/acsharness/acsharness/signature"
)

// ApsaraMQ for MQTT actions, with the response shapes of the official SDK's
// typed structs (alibaba-cloud-sdk-go services/onsmqtt). ROA routes:
//
//	GET    /groups              ListGroupId   (InstanceId)
//	POST   /groups              CreateGroupId (InstanceId, GroupId)
//	DELETE /groups/{GroupId}    DeleteGroupId (InstanceId)
//	POST   /messages            SendMessage   (InstanceId, MqttTopic, Payload)

type mqttGroupIDDo struct {
	CreateTime        int64  `json:"CreateTime" xml:"CreateTime"`
	GroupId           string `json:"GroupId" xml:"GroupId"` //nolint:revive // the wire name
	IndependentNaming bool   `json:"IndependentNaming" xml:"IndependentNaming"`
	InstanceId        string `json:"InstanceId" xml:"InstanceId"` //nolint:revive
	UpdateTime        int64  `json:"UpdateTime" xml:"UpdateTime"`
}

type listGroupIDResponse struct {
	base
	Data []mqttGroupIDDo `json:"Data" xml:"Data"`
}

type helpURLResponse struct {
	base
	HelpUrl string `json:"HelpUrl" xml:"HelpUrl"` //nolint:revive
}

type sendMessageResponse struct {
	base
	MsgId string `json:"MsgId" xml:"MsgId"` //nolint:revive
}

func (d *mqttGroupIDDo) fields(w *wire) {
	w.int("CreateTime", d.CreateTime)
	w.str("GroupId", d.GroupId)
	w.bool("IndependentNaming", d.IndependentNaming)
	w.str("InstanceId", d.InstanceId)
	w.int("UpdateTime", d.UpdateTime)
}

func (r *listGroupIDResponse) fields(w *wire) {
	r.base.fields(w)
	list(w, "Data", r.Data, (*mqttGroupIDDo).fields)
}

func (r *helpURLResponse) fields(w *wire) {
	r.base.fields(w)
	w.str("HelpUrl", r.HelpUrl)
}

func (r *sendMessageResponse) fields(w *wire) {
	r.base.fields(w)
	w.str("MsgId", r.MsgId)
}

// groupIDPattern is the MQTT Group ID rule: GID_ followed by letters,
// digits, underscores or hyphens, 7 to 64 characters in all.
var groupIDPattern = regexp.MustCompile(`^GID_[A-Za-z0-9_-]{3,60}$`)

const mqttHelpURL = "https://help.aliyun.com/document_detail/174527.html"

func mqttActions() []*action {
	return []*action{
		{name: "ListGroupId", required: []string{"InstanceId"}, method: http.MethodGet, path: "/groups",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				inst, _ := p.Get("InstanceId")
				out := &listGroupIDResponse{Data: []mqttGroupIDDo{}}
				for _, id := range sortedKeys(b.groups[inst]) {
					out.Data = append(out.Data, b.groups[inst][id])
				}
				return out, nil
			}},
		{name: "CreateGroupId", required: []string{"InstanceId", "GroupId"}, method: http.MethodPost, path: "/groups",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				inst, _ := p.Get("InstanceId")
				id, _ := p.Get("GroupId")
				if !groupIDPattern.MatchString(id) {
					return nil, errInvalidParameter("GroupId")
				}
				if _, ok := b.groups[inst][id]; ok {
					return nil, errExists("GroupId", id)
				}
				if b.objects >= maxObjects {
					return nil, errQuota
				}
				if b.groups[inst] == nil {
					b.groups[inst] = map[string]mqttGroupIDDo{}
				}
				ms := b.now().UnixMilli()
				b.groups[inst][id] = mqttGroupIDDo{CreateTime: ms, UpdateTime: ms, GroupId: id, InstanceId: inst, IndependentNaming: true}
				b.objects++
				return &helpURLResponse{HelpUrl: mqttHelpURL}, nil
			}},
		{name: "DeleteGroupId", required: []string{"InstanceId", "GroupId"}, method: http.MethodDelete, path: "/groups/{GroupId}",
			handle: func(b *backend, p signature.Params) (response, *apiError) {
				inst, _ := p.Get("InstanceId")
				id, _ := p.Get("GroupId")
				if _, ok := b.groups[inst][id]; !ok {
					return nil, errNotFound("GroupId", id)
				}
				delete(b.groups[inst], id)
				b.objects--
				return &helpURLResponse{HelpUrl: mqttHelpURL}, nil
			}},
		{name: "SendMessage", required: []string{"InstanceId", "MqttTopic", "Payload"}, method: http.MethodPost, path: "/messages",
			handle: func(_ *backend, _ signature.Params) (response, *apiError) {
				return &sendMessageResponse{MsgId: randomHex(16)}, nil
			}},
	}
}
