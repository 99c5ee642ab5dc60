package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/signature"
)

// The Kubernetes example cannot be applied here (no cluster): these tests
// check that it parses and that its pieces fit each other and the command.

type k8sDoc = map[string]any

// deployDocs reads every document of deploy/kubernetes/*.yaml.
func deployDocs(t *testing.T) map[string][]k8sDoc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "deploy", "kubernetes", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "deploy/kubernetes holds the example")
	byKind := map[string][]k8sDoc{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; i < 100; i++ {
			var d k8sDoc
			err := dec.Decode(&d)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "%s document %d", f, i)
			if d == nil {
				continue // an empty document between ---
			}
			kind, _ := d["kind"].(string)
			require.NotEmpty(t, kind, "%s document %d has a kind", f, i)
			require.NotEmpty(t, d["apiVersion"], "%s: %s has an apiVersion", f, kind)
			require.NotEmpty(t, dig(t, d, "metadata", "name"), "%s: %s has a name", f, kind)
			byKind[kind] = append(byKind[kind], d)
		}
	}
	return byKind
}

// dig walks maps (by key) and lists (by index, as a number string).
func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			require.NoError(t, err, "list index %q", p)
			require.Less(t, i, len(x), "index %d of %v", i, path)
			v = x[i]
		default:
			t.Fatalf("cannot walk %v: %q is not in a map or list", path, p)
		}
	}
	return v
}

func str(t *testing.T, v any, path ...string) string {
	t.Helper()
	s, ok := dig(t, v, path...).(string)
	require.True(t, ok, "%v is a string", path)
	return s
}

func strs(t *testing.T, v any, path ...string) []string {
	t.Helper()
	var out []string
	for _, x := range dig(t, v, path...).([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// flagValue returns the value of --name=V among args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// envValue returns a container's env entry by name.
func envValue(t *testing.T, container any, name string) map[string]any {
	t.Helper()
	for _, e := range dig(t, container, "env").([]any) {
		if m := e.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no env %s", name)
	return nil
}

func jobNamed(t *testing.T, jobs []k8sDoc, name string) k8sDoc {
	t.Helper()
	for _, j := range jobs {
		if str(t, j, "metadata", "name") == name {
			return j
		}
	}
	t.Fatalf("no Job %s", name)
	return nil
}

func TestDeployKubernetesExample(t *testing.T) {
	t.Parallel()
	docs := deployDocs(t)
	assert.Len(t, docs["Secret"], 1)
	assert.Len(t, docs["PersistentVolumeClaim"], 1)
	assert.Len(t, docs["Job"], 2, "the shards' Job and the merge Job")
	kinds := make([]string, 0, len(docs))
	for k := range docs {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	assert.Equal(t, []string{"Job", "PersistentVolumeClaim", "Secret"}, kinds)

	secret := docs["Secret"][0]
	secretName := str(t, secret, "metadata", "name")
	data := dig(t, secret, "stringData").(map[string]any)
	assert.Len(t, data, 2)
	for _, k := range []string{signature.EnvAccessKeyID, signature.EnvAccessKeySecret} {
		v, ok := data[k].(string)
		require.True(t, ok, "the Secret holds %s, the variable acsharness reads", k)
		assert.Contains(t, v, "REPLACE", "%s is a placeholder, never a real key", k)
	}

	pvc := docs["PersistentVolumeClaim"][0]
	claim := str(t, pvc, "metadata", "name")
	assert.Contains(t, strs(t, pvc, "spec", "accessModes"), "ReadWriteMany", "shards on several nodes write at once")

	load := jobNamed(t, docs["Job"], "acsharness-load")
	assert.Equal(t, "batch/v1", load["apiVersion"])
	assert.Equal(t, "Indexed", str(t, load, "spec", "completionMode"))
	n := dig(t, load, "spec", "completions").(int)
	assert.GreaterOrEqual(t, n, 2)
	assert.Equal(t, n, dig(t, load, "spec", "parallelism"), "all shards run at once")
	assert.Equal(t, "Never", str(t, load, "spec", "template", "spec", "restartPolicy"))
	c := dig(t, load, "spec", "template", "spec", "containers", "0")
	args := strs(t, c, "args")
	require.NotEmpty(t, args)
	assert.Equal(t, "load", args[0])
	assert.Equal(t, strconv.Itoa(n), envValue(t, c, "ACSHARNESS_SHARDS")["value"], "ACSHARNESS_SHARDS is the Job's completions")
	assert.Equal(t, "metadata.annotations['batch.kubernetes.io/job-completion-index']",
		dig(t, envValue(t, c, "JOB_COMPLETION_INDEX"), "valueFrom", "fieldRef", "fieldPath"))
	target, ok := flagValue(args, "target")
	assert.True(t, ok && strings.HasPrefix(target, "http"), "--target is a URL")
	rate, ok := flagValue(args, "rate")
	require.True(t, ok, "--rate")
	r, err := ParseRate(rate)
	require.NoError(t, err)
	assert.Positive(t, r)
	dur, ok := flagValue(args, "duration")
	require.True(t, ok, "--duration")
	d, err := time.ParseDuration(dur)
	require.NoError(t, err)
	assert.Less(t, d, time.Duration(dig(t, load, "spec", "activeDeadlineSeconds").(int))*time.Second, "the deadline leaves room for the run")
	_, ok = flagValue(args, "start-at")
	assert.True(t, ok, "--start-at makes the shards start together")
	reportDir, _ := flagValue(args, "report-dir")
	assert.Equal(t, "/out/shard-$(JOB_COMPLETION_INDEX)", reportDir)
	_, ok = flagValue(args, "slo")
	assert.False(t, ok, "shards carry no SLO: the merge judges the run")
	assert.Equal(t, secretName, str(t, c, "envFrom", "0", "secretRef", "name"))
	assert.Equal(t, "/out", str(t, c, "volumeMounts", "0", "mountPath"))
	assert.Equal(t, claim, str(t, load, "spec", "template", "spec", "volumes", "0", "persistentVolumeClaim", "claimName"))

	merge := jobNamed(t, docs["Job"], "acsharness-merge")
	assert.Equal(t, 0, dig(t, merge, "spec", "backoffLimit"), "a breach is not retried into a pass")
	mc := dig(t, merge, "spec", "template", "spec", "containers", "0")
	margs := strs(t, mc, "args")
	require.GreaterOrEqual(t, len(margs), 2+n)
	assert.Equal(t, []string{"report", "merge"}, margs[:2])
	var dirs []string
	for _, a := range margs[2:] {
		if !strings.HasPrefix(a, "-") {
			dirs = append(dirs, a)
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("/out/shard-%d", i))
	}
	assert.Equal(t, want, dirs, "the merge lists every shard's directory")
	mdir, _ := flagValue(margs, "report-dir")
	assert.Equal(t, "/out/merged", mdir)
	var slos []string
	for _, a := range margs {
		if v, ok := strings.CutPrefix(a, "--slo="); ok {
			slos = append(slos, v)
		}
	}
	require.NotEmpty(t, slos, "the merge gives the verdict")
	_, err = ParseSLOs(slos, nil)
	require.NoError(t, err, "every SLO of the merge parses")
	assert.Equal(t, claim, str(t, merge, "spec", "template", "spec", "volumes", "0", "persistentVolumeClaim", "claimName"))
	assert.Equal(t, str(t, c, "image"), str(t, mc, "image"), "one image for both")
}

func TestDeployDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "deploy", "Dockerfile"))
	require.NoError(t, err)
	df := string(b)
	assert.Contains(t, df, "FROM golang:1.26 AS build")
	assert.Contains(t, df, "CGO_ENABLED=0 go build")
	assert.Contains(t, df, "./cmd/acsharness")
	assert.Contains(t, df, "FROM gcr.io/distroless/static")
	assert.Contains(t, df, `ENTRYPOINT ["/acsharness"]`)
}
