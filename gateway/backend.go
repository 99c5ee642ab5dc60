package gateway

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acsharness/acsharness/product"
	"github.com/acsharness/acsharness/signature"
)

// action is one API operation of a product's in-memory backend.
type action struct {
	name string
	// required lists the business parameters that must be present and not
	// empty, checked in order (docs/protocol.md §4.2 step 11).
	required []string
	// method and path are the action's ROA route; a {Name} segment binds
	// the parameter Name.
	method, path string
	// segments are path's, split once.
	segments []string
	// anyVersion serves the route whatever the API version (the seed's
	// generic ROA example).
	anyVersion bool
	handle     func(b *backend, p signature.Params) (response, *apiError)
}

// maxObjects bounds the groups and virtual hosts a backend keeps, so a
// client cannot grow the gateway's memory without limit.
const maxObjects = 100000

// backend is one product's in-memory state and actions. Parameters an
// action does not define are ignored, never an error: the official SDK
// sends RegionId and an empty SignatureType with every call.
type backend struct {
	profile product.Profile
	actions map[string]*action
	routes  []*action
	now     func() time.Time

	mu      sync.Mutex
	objects int
	groups  map[string]map[string]mqttGroupIDDo // instance -> group ID -> group
	vhosts  map[string]map[string]bool          // instance -> virtual host names
}

func newBackend(p product.Profile, now func() time.Time) *backend {
	b := &backend{profile: p, actions: map[string]*action{}, now: now,
		groups: map[string]map[string]mqttGroupIDDo{}, vhosts: map[string]map[string]bool{}}
	var defs []*action
	switch p.Code {
	case product.MQTT.Code:
		defs = mqttActions()
	case product.RabbitMQ.Code:
		defs = rabbitActions()
	}
	defs = append(defs, appEnvAction())
	for _, a := range defs {
		b.actions[a.name] = a
		if a.path != "" {
			a.segments = strings.Split(strings.Trim(a.path, "/"), "/")
			b.routes = append(b.routes, a)
		}
	}
	return b
}

// route finds the action of a ROA request and the parameters its path
// binds; ok is false when no route matches the method and path. It splits
// the path as received, escaped, and decodes each segment after: a path
// parameter holding "/" travels as %2F and stays one segment, so that
// DELETE /instances/i-1/vhosts/a%2Fb binds VirtualHost "a/b" (docs/protocol.md
// §3.2, §9 F9). A segment that does not decode matches no route. The
// segments are walked in place, without splitting the path.
func (b *backend) route(method, escapedPath string) (a *action, bound signature.Params, ok bool) {
	path := strings.Trim(escapedPath, "/")
	for _, r := range b.routes {
		if r.method != method {
			continue
		}
		if bound, ok := matchRoute(r.segments, path); ok {
			return r, bound, true
		}
	}
	return nil, nil, false
}

// matchRoute matches the segments of path against a route's pattern
// segments; a {Name} segment binds the parameter Name to the decoded
// segment, which must not be empty.
func matchRoute(pattern []string, path string) (signature.Params, bool) {
	var bound signature.Params
	rest := path
	for i, p := range pattern {
		seg, tail, more := strings.Cut(rest, "/")
		if more == (i == len(pattern)-1) { // the path has more segments, or fewer
			return nil, false
		}
		if strings.IndexByte(seg, '%') >= 0 {
			d, err := url.PathUnescape(seg)
			if err != nil {
				return nil, false
			}
			seg = d
		}
		if name, isParam := strings.CutPrefix(p, "{"); isParam && strings.HasSuffix(name, "}") {
			if seg == "" {
				return nil, false
			}
			bound = append(bound, signature.Param{Key: name[:len(name)-1], Value: seg})
		} else if p != seg {
			return nil, false
		}
		rest = tail
	}
	return bound, true
}

// call checks the action's business parameters and runs it.
func (b *backend) call(a *action, p signature.Params, style MissingStyle) (response, *apiError) {
	for _, name := range a.required {
		if v, _ := p.Get(name); v == "" {
			return nil, errMissingParameter(style, name)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return a.handle(b, p)
}

func errExists(what, name string) *apiError {
	return errf(http.StatusBadRequest, CodeResourceExists, "The %s %q already exists.", what, name)
}

func errNotFound(what, name string) *apiError {
	return errf(http.StatusNotFound, CodeResourceNotFound, "The %s %q does not exist.", what, name)
}

var errQuota = errf(http.StatusBadRequest, CodeQuotaExceeded, "The gateway holds its limit of %d groups and virtual hosts: delete some first.", maxObjects)

// pageParams reads NextToken (an offset) and MaxResults (1 to 100,
// default 100).
func pageParams(p signature.Params) (offset, limit int, err *apiError) {
	limit = 100
	if v, ok := p.Get("MaxResults"); ok && v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 100 {
			return 0, 0, errInvalidParameter("MaxResults")
		}
		limit = n
	}
	if v, ok := p.Get("NextToken"); ok && v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 {
			return 0, 0, errInvalidParameter("NextToken")
		}
		offset = n
	}
	return offset, limit, nil
}

// page slices names[offset:offset+limit] and returns the next token.
func page[T any](items []T, offset, limit int) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[offset:end], next
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The generic ROA route of seed 002's example, served by every product and
// for every version, so that any ROA client can be tested.
type appEnvResponse struct {
	base
	Data appEnvData `json:"Data" xml:"Data"`
}

type appEnvData struct {
	AppName string `json:"AppName" xml:"AppName"`
	Env     string `json:"Env" xml:"Env"`
	Tag     string `json:"Tag" xml:"Tag"`
}

func (r *appEnvResponse) fields(w *wire) {
	r.base.fields(w)
	object(w, "Data", &r.Data, (*appEnvData).fields)
}

func (d *appEnvData) fields(w *wire) {
	w.str("AppName", d.AppName)
	w.str("Env", d.Env)
	w.str("Tag", d.Tag)
}

// AppEnvAction is the action name of the generic ROA route
// GET /pop/v1/wam/appEnv.
const AppEnvAction = "GetAppEnv"

func appEnvAction() *action {
	return &action{name: AppEnvAction, method: http.MethodGet, path: "/pop/v1/wam/appEnv", anyVersion: true,
		handle: func(_ *backend, p signature.Params) (response, *apiError) {
			app, _ := p.Get("appName")
			env, _ := p.Get("env")
			tag, _ := p.Get("tag")
			return &appEnvResponse{Data: appEnvData{AppName: app, Env: env, Tag: tag}}, nil
		}}
}

// randomHex returns n random bytes in uppercase hex, from math/rand/v2's
// generator (see appendRequestID).
func randomHex(n int) string {
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 2*n)
	for i := 0; i < n; i += 8 {
		v := rand.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[2*j], b[2*j+1] = hexUpper[v>>4&15], hexUpper[v&15]
			v >>= 8
		}
	}
	return string(b)
}
