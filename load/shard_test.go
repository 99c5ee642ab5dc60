package load

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/signature"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Shard
	}{
		{"0/1", Shard{0, 1}},
		{"0/4", Shard{0, 4}},
		{"3/4", Shard{3, 4}},
		{"65534/65535", Shard{65534, 65535}},
	} {
		got, err := ParseShard(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
		assert.InDelta(t, 1/float64(tc.want.Of), got.Share(), 0)
	}
	for _, in := range []string{"", "1", "4/4", "5/4", "-1/4", "a/4", "1/b", "0/0", "0/65536", "1/4/2", " 1/4"} {
		_, err := ParseShard(in)
		require.Error(t, err, "%q is not a shard", in)
		assert.Contains(t, err.Error(), "0 ≤ INDEX < TOTAL")
	}
}

func TestShardFromEnv(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	s, ok, err := ShardFromEnv(env())
	require.NoError(t, err)
	assert.False(t, ok, "no Indexed Job, no shard")
	assert.Equal(t, Shard{}, s)

	s, ok, err = ShardFromEnv(env("JOB_COMPLETION_INDEX", "2", "ACSHARNESS_SHARDS", "3"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, Shard{2, 3}, s)

	_, _, err = ShardFromEnv(env("JOB_COMPLETION_INDEX", "2"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ACSHARNESS_SHARDS is not")

	_, ok, err = ShardFromEnv(env("JOB_COMPLETION_INDEX", "3", "ACSHARNESS_SHARDS", "3"))
	require.Error(t, err, "index beyond the completions")
	assert.False(t, ok)

	_, ok, err = ShardFromEnv(env("ACSHARNESS_SHARDS", "3"))
	require.NoError(t, err)
	assert.False(t, ok, "the total alone names no shard")
}

// The shards of a run draw nonces from disjoint namespaces, and so do two
// runs of the same config.
func TestShardNonceNamespaces(t *testing.T) {
	t.Parallel()
	hash := ConfigHash("http://127.0.0.1:8080", "onsmqtt", "rpc", "rpc ListGroupId", "90/s", "2s")
	assert.Len(t, hash, 16)
	assert.Equal(t, hash, ConfigHash("http://127.0.0.1:8080", "onsmqtt", "rpc", "rpc ListGroupId", "90/s", "2s"), "a config has one hash")
	assert.NotEqual(t, hash, ConfigHash("http://127.0.0.1:8080", "onsmqtt", "rpc", "rpc ListGroupId", "90/s", "3s"))
	assert.NotEqual(t, ConfigHash("ab", "c"), ConfigHash("a", "bc"), "parts are separated")

	seen := map[string]string{}
	prefixes := map[string]bool{}
	for run := range 2 {
		id := RunID(hash)
		assert.Less(t, id, uint64(1)<<48, "48 bits")
		for shard := range 3 {
			src := signature.NewShardNonceSource(uint16(shard), id)
			for range 500 {
				n := src.Next()
				require.Len(t, n, signature.NonceSize)
				who := "run " + string(rune('0'+run)) + " shard " + string(rune('0'+shard))
				if prev, dup := seen[n]; dup {
					require.Failf(t, "nonce drawn twice", "nonce %s of %s was drawn by %s", n, who, prev)
				}
				seen[n] = who
				prefixes[n[:16]] = true
			}
		}
	}
	assert.Len(t, prefixes, 6, "one prefix per shard per run")
	assert.NotEqual(t, RunID(hash), RunID(hash), "runs of one config are told apart")
}

// Two runs of the same shard of the same command against one gateway, one
// after the other: the second must not replay the first's nonces.
func TestShardRerunAgainstOneGateway(t *testing.T) {
	t.Parallel()
	l := startGateway(t)
	spec := probeSpec(signature.RPC)
	hash := ConfigHash(l.URL, "rerun")
	for run := range 2 {
		nonces := signature.NewShardNonceSource(0, RunID(hash))
		it, err := NewActionItem(spec.Action, 1, l.URL, spec, demoCreds, nonces)
		require.NoError(t, err)
		sum, err := Run(context.Background(), Options{Target: l.URL, Items: []*Item{it}, Schedule: Constant{500}, Requests: 20})
		require.NoError(t, err)
		assert.Equal(t, uint64(20), sum.Successes, "run %d: codes %v", run, sum.Codes)
	}
	assert.Zero(t, gatewayCodes(t, l)[gateway.CodeNonceUsed])
}

// shardSummary collects the given latencies (µs) as one shard would: what
// each request is follows from its latency, so that the shards of a set of
// latencies together hold what one collector of them all would. Item "a"
// answers 200; item "b" answers 503 ServiceUnavailable one time in five.
func shardSummary(t *testing.T, start time.Time, latencies []int) *Summary {
	t.Helper()
	rec := newSignRecorder()
	c := newCollector(start, Constant{500}, time.Millisecond, rec)
	for i, us := range latencies {
		o := observation{item: "a", sent: start.Add(time.Duration(i) * time.Millisecond), latency: time.Duration(us) * time.Microsecond,
			status: 200, ok: true, bytesIn: 100, bytesOut: 10}
		o.due = o.sent
		if us%3 == 0 {
			o.item = "b"
			if us%5 == 0 {
				o.status, o.code, o.ok = 503, "ServiceUnavailable", false
			}
		}
		rec.record(time.Duration(us)*10*time.Nanosecond, uint64(i))
		c.add(o)
	}
	sum := c.summary(time.Second, false)
	sum.Target, sum.Workload, sum.Style, sum.Schedule = "http://127.0.0.1:8080", "rpc ListGroupId", "rpc", "500/s"
	return sum
}

// writeShard writes a shard's manifest into its own directory under root.
func writeShard(t *testing.T, root string, name string, sum *Summary, s Shard, hash string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	m, err := NewManifest(sum, s, hash, sum.Started, 0, []SLO{mustSLO(t, "p99<50ms")}, "results.bin")
	require.NoError(t, err)
	require.NoError(t, WriteManifest(dir, m))
	return dir
}

func TestMergeIsExact(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var odd, even, all []int
	for us := 1; us <= 2000; us++ {
		all = append(all, us)
		if us%2 == 1 {
			odd = append(odd, us)
		} else {
			even = append(even, us)
		}
	}
	hash := ConfigHash("merge")
	s0, s1 := shardSummary(t, t0, odd), shardSummary(t, t0, even)
	d0 := writeShard(t, root, "shard-0", s0, Shard{0, 2}, hash)
	d1 := writeShard(t, root, "shard-1", s1, Shard{1, 2}, hash)
	before, err := os.ReadFile(filepath.Join(d0, ManifestFile))
	require.NoError(t, err)

	merged, ms, err := Merge([]string{d1, d0})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, 0, ms[0].Shard, "manifests come back in shard order")
	assert.Equal(t, []string{"p99<50ms"}, ms[0].SLOs)

	// Merged percentiles equal those of all observations together.
	whole := shardSummary(t, t0, all)
	assert.Equal(t, whole.Latency, merged.Latency, "exact, not an average of percentiles")
	assertPercentiles(t, Percentiles{Min: 1e-6, Mean: 1000.5e-6, P50: 1000e-6, P90: 1800e-6, P95: 1900e-6, P99: 1980e-6, P999: 1998e-6, Max: 2000e-6}, merged.Latency)
	assert.Equal(t, whole.Sign, merged.Sign)
	assert.Equal(t, int64(2000), merged.LatencyHistogram().TotalCount())

	assert.Equal(t, 2, merged.Shards)
	assert.Equal(t, s0.Requests+s1.Requests, merged.Requests)
	assert.Equal(t, uint64(2000), merged.Requests)
	assert.Equal(t, s0.Successes+s1.Successes, merged.Successes)
	assert.InDelta(t, float64(merged.Successes)/2000, merged.SuccessRatio, 1e-12)
	assert.Equal(t, map[string]uint64{"200": s0.Status["200"] + s1.Status["200"], "503": s0.Status["503"] + s1.Status["503"]}, merged.Status)
	assert.Equal(t, s0.Codes["ServiceUnavailable"]+s1.Codes["ServiceUnavailable"], merged.Codes["ServiceUnavailable"])
	assert.Equal(t, s0.BytesIn+s1.BytesIn, merged.BytesIn)
	assert.Equal(t, s0.Late+s1.Late, merged.Late)
	assert.Equal(t, s0.Dropped+s1.Dropped, merged.Dropped)
	assert.InDelta(t, 1000, merged.RequestedRate, 1e-9, "two shards of 500/s")
	assert.InDelta(t, 2000, merged.Rate, 1e-9, "2000 requests over the 1 s attack")
	assert.Equal(t, "2 shards of 500/s", merged.Schedule)
	assert.Equal(t, "rpc ListGroupId", merged.Workload)

	require.Len(t, merged.ByItem, 2)
	for i, it := range merged.ByItem {
		assert.Equal(t, whole.ByItem[i].Name, it.Name)
		assert.Equal(t, whole.ByItem[i].Requests, it.Requests)
		assert.Equal(t, whole.ByItem[i].Successes, it.Successes)
		assert.Equal(t, whole.ByItem[i].Codes, it.Codes)
		assert.Equal(t, whole.ByItem[i].Latency, it.Latency, "item %s percentiles are exact too", it.Name)
	}
	var seriesReq uint64
	for _, b := range merged.Series {
		seriesReq += b.Requests
	}
	assert.Equal(t, merged.Requests, seriesReq)

	// The merged summary is rendered from what it holds; the shards' own
	// summaries are left as they were read.
	ms0, err := json.Marshal(ms[0].Summary)
	require.NoError(t, err)
	var orig Manifest
	require.NoError(t, json.Unmarshal(before, &orig))
	want, err := json.Marshal(orig.Summary)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(ms0), "merging does not alter shard 0's summary")

	assert.True(t, merged.CheckSLOs([]SLO{mustSLO(t, "p99<2ms"), mustSLO(t, "requests==2000")}))
	assert.False(t, merged.CheckSLOs([]SLO{mustSLO(t, "p99<1980us")}), "p99 is 1980 µs exactly")
}

func TestMergeRefusesPartialOrMixedRuns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	hash := ConfigHash("run a")
	sum := shardSummary(t, t0, []int{100, 200, 300})
	d0 := writeShard(t, root, "shard-0", sum, Shard{0, 3}, hash)
	d1 := writeShard(t, root, "shard-1", sum, Shard{1, 3}, hash)
	d2 := writeShard(t, root, "shard-2", sum, Shard{2, 3}, hash)
	other := writeShard(t, root, "other-run", sum, Shard{2, 3}, ConfigHash("run b"))
	ofFour := writeShard(t, root, "of-four", sum, Shard{2, 4}, hash)
	earlier := *sum
	earlier.Started = t0.Add(-time.Hour)
	leftover := writeShard(t, root, "leftover", &earlier, Shard{2, 3}, hash)
	empty := filepath.Join(root, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	corrupt := filepath.Join(root, "corrupt")
	require.NoError(t, os.MkdirAll(corrupt, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(corrupt, ManifestFile), []byte(`{"version":1`), 0o644))
	hollow := filepath.Join(root, "hollow")
	require.NoError(t, os.MkdirAll(hollow, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hollow, ManifestFile), []byte(`{"version":1,"shard":0,"shards":3}`), 0o644))

	_, _, err := Merge([]string{d0, d1, d2})
	require.NoError(t, err, "the whole run merges")

	for _, tc := range []struct {
		name string
		dirs []string
		msgs []string
	}{
		{"none", nil, []string{"give the shard directories"}},
		{"missing one", []string{d0, d2}, []string{"shards missing: 1/3", "got 2 of 3"}},
		{"missing two", []string{d1}, []string{"shards missing: 0/3, 2/3"}},
		{"duplicate", []string{d0, d1, d1, d2}, []string{"shard 1/3 is given twice", d1}},
		{"same shard twice from two dirs", []string{d0, d1, d2, writeShard(t, root, "copy", sum, Shard{2, 3}, hash)}, []string{"shard 2/3 is given twice", d2, filepath.Join(root, "copy")}},
		{"other config", []string{d0, d1, other}, []string{"shard " + other + " ran config", "merge shards of one run only"}},
		{"other total", []string{d0, d1, ofFour}, []string{"shard " + ofFour + " is one of 4", d0 + " is one of 3"}},
		{"same config, earlier start", []string{d0, d1, leftover}, []string{"shard " + leftover + " started at 2026-11-22T09:00:00Z", "merge shards of one run only"}},
		{"no manifest", []string{d0, empty}, []string{"shard " + empty, ManifestFile}},
		{"corrupt manifest", []string{d0, corrupt}, []string{"shard " + corrupt, "is not valid"}},
		{"hollow manifest", []string{hollow}, []string{"shard " + hollow, "lacks its summary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sum, ms, err := Merge(tc.dirs)
			require.Error(t, err)
			assert.Nil(t, sum)
			assert.Nil(t, ms)
			for _, m := range tc.msgs {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestWriteManifestIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sum := shardSummary(t, t0, []int{5})
	m, err := NewManifest(sum, Shard{0, 1}, ConfigHash("x"), t0, 250*time.Millisecond, nil, "")
	require.NoError(t, err)
	assert.InDelta(t, 0.25, m.ClockOffset, 0)
	require.NoError(t, WriteManifest(dir, m))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	assert.Equal(t, ManifestFile, entries[0].Name())
	got, err := ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, m.ConfigHash, got.ConfigHash)
	assert.Equal(t, uint64(1), got.Summary.Requests)
	require.NotNil(t, got.Summary.Histograms)
	assert.False(t, strings.Contains(got.Summary.Histograms.Latency, " "), "the histogram is base64")
	assert.Equal(t, int64(1), got.Summary.LatencyHistogram().TotalCount(), "and decodes")

	err = WriteManifest(filepath.Join(dir, "no", "such", "dir"), m)
	assert.Error(t, err)
}

// Shards that each kept their own 64 codes merge into a run that keeps
// 64 and other, in its totals, its items and its series.
func TestMergeBoundsCodes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var dirs []string
	for shard := range 2 {
		c := newCollector(t0, Constant{500}, time.Millisecond, nil)
		for i := range maxCodes {
			o := obs(time.Duration(i)*time.Millisecond, time.Millisecond)
			o.status, o.ok, o.code = 400, false, fmt.Sprintf("Shard%dCode%02d", shard, i)
			c.add(o)
		}
		sum := c.summary(time.Second, false)
		sum.Schedule = "500/s"
		dirs = append(dirs, writeShard(t, root, fmt.Sprintf("s%d", shard), sum, Shard{shard, 2}, "h"))
	}
	merged, _, err := Merge(dirs)
	require.NoError(t, err)
	assert.Len(t, merged.Codes, maxCodes+1)
	assert.Equal(t, uint64(maxCodes), merged.Codes["other"])
	assert.Len(t, merged.ByItem[0].Codes, maxCodes+1)
	for _, b := range merged.Series {
		assert.LessOrEqual(t, len(b.Codes), maxCodes+1)
	}
}
