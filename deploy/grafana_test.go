package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
)

// descRecorder is a Registerer that keeps the name and labels of every
// metric registered with it, whether or not it has a value yet (a vector
// without children gathers nothing).
type descRecorder struct{ labels map[string][]string }

var descPattern = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func (d *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		m := descPattern.FindStringSubmatch(desc.String())
		if m == nil {
			return nil
		}
		var labels []string
		for l := range strings.SplitSeq(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
		d.labels[m[1]] = append([]string{}, labels...)
	}
	return nil
}

func (d *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}

func (d *descRecorder) Unregister(prometheus.Collector) bool { return false }

// registered is every metric acsharness registers, load's and the
// gateway's, with its labels.
func registered(t *testing.T) map[string][]string {
	t.Helper()
	rec := &descRecorder{labels: map[string][]string{}}
	_, err := load.NewMetrics(rec)
	require.NoError(t, err)
	g, err := gateway.New(gateway.Config{Registerer: rec})
	require.NoError(t, err)
	_ = g
	return rec.labels
}

var (
	metricRef = regexp.MustCompile(`\b(acsharness_[a-z0-9_]+)(\{([^}]*)\})?`)
	matcher   = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	grouping  = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// TestGrafanaDashboard checks every query of the dashboard against the
// metrics the code registers: each metric name (a histogram's _bucket,
// _sum and _count included) and each label it filters or groups by; and
// every registered metric has a panel.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	names := registered(t)
	require.Contains(t, names, "acsharness_load_requests_total")
	require.Contains(t, names, "acsharness_gateway_requests_total")
	b, err := os.ReadFile(filepath.Join("grafana", "acsharness.json"))
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &dash), "the dashboard is JSON")
	assert.NotEmpty(t, dash.UID)
	used := map[string]bool{}
	ids := map[int]bool{}
	queries := 0
	for _, p := range dash.Panels {
		assert.False(t, ids[p.ID], "panel id %d is unique", p.ID)
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		assert.NotEmpty(t, p.Targets, "panel %q has a query", p.Title)
		for _, q := range p.Targets {
			queries++
			refs := metricRef.FindAllStringSubmatch(q.Expr, -1)
			assert.NotEmpty(t, refs, "panel %q: %s queries an acsharness metric", p.Title, q.Expr)
			var labels []string
			for _, r := range refs {
				name := r[1]
				base := name
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suf); ok {
						if _, known := names[b]; known {
							base = b
						}
					}
				}
				ls, ok := names[base]
				if !assert.True(t, ok, "panel %q: %s is not a metric acsharness registers", p.Title, name) {
					continue
				}
				used[base] = true
				if strings.HasSuffix(name, "_bucket") {
					ls = append(slices.Clone(ls), "le")
				}
				labels = append(labels, ls...)
				for _, m := range matcher.FindAllStringSubmatch(r[3], -1) {
					assert.Contains(t, ls, m[1], "panel %q: %s has no label %s", p.Title, name, m[1])
				}
			}
			for _, g := range grouping.FindAllStringSubmatch(q.Expr, -1) {
				for l := range strings.SplitSeq(g[1], ",") {
					if l = strings.TrimSpace(l); l != "" {
						assert.Contains(t, labels, l, "panel %q groups by %s, a label of none of its metrics", p.Title, l)
					}
				}
			}
		}
	}
	assert.Greater(t, queries, 10)
	for name := range names {
		assert.True(t, used[name], "%s has a panel", name)
	}
}

// The check fails on a metric name the code does not register.
func TestGrafanaCheckCatchesAWrongName(t *testing.T) {
	t.Parallel()
	names := registered(t)
	refs := metricRef.FindAllStringSubmatch(`rate(acsharness_load_request_duration_seconds_bucket[1m])`, -1)
	require.Len(t, refs, 1)
	_, ok := names[strings.TrimSuffix(refs[0][1], "_bucket")]
	assert.False(t, ok, "the old name of the response-time histogram is not registered")
}
