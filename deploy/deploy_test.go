// Package deploy_test checks the deployment examples: the Kubernetes
// manifests decode strictly into the real API types and fit together and
// with the command, and the Grafana dashboard queries only metrics that
// acsharness registers. The examples cannot be applied here (no cluster):
// these tests are what keeps a typo from shipping.
package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/signature"
)

// manifests are the example's objects, decoded strictly (an unknown or
// misspelt field is an error) into the Kubernetes API types.
type manifests struct {
	jobs    map[string]*batchv1.Job
	secrets []*corev1.Secret
	claims  []*corev1.PersistentVolumeClaim
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "deploy/kubernetes holds the example")
	m := manifests{jobs: map[string]*batchv1.Job{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			require.NoError(t, yaml.Unmarshal(doc, &meta), "%s document %d", f, i)
			var obj any
			switch meta.APIVersion + " " + meta.Kind {
			case "batch/v1 Job":
				j := &batchv1.Job{}
				obj = j
				defer func() { m.jobs[j.Name] = j }()
			case "v1 Secret":
				s := &corev1.Secret{}
				obj = s
				m.secrets = append(m.secrets, s)
			case "v1 PersistentVolumeClaim":
				c := &corev1.PersistentVolumeClaim{}
				obj = c
				m.claims = append(m.claims, c)
			default:
				t.Fatalf("%s document %d: %s %s is not part of the recipe", f, i, meta.APIVersion, meta.Kind)
			}
			require.NoError(t, decodeStrict(doc, obj), "%s document %d decodes strictly as %s", f, i, meta.Kind)
		}
	}
	return m
}

// decodeStrict decodes YAML as the API server does with strict field
// validation: no duplicate key, no unknown field, and field names matched
// case-sensitively (encoding/json, under sigs.k8s.io/yaml's own
// UnmarshalStrict, took "completionmode" for completionMode).
func decodeStrict(doc []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
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

func envNamed(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// TestKubernetesExample checks what the recipe relies on: an Indexed Job
// whose N is the same in completions, parallelism and ACSHARNESS_SHARDS
// and in the merge's directory list; the Secret's keys as the environment
// acsharness reads; one claim, shared and ReadWriteMany.
func TestKubernetesExample(t *testing.T) {
	t.Parallel()
	m := readManifests(t)
	require.Len(t, m.secrets, 1)
	require.Len(t, m.claims, 1)
	require.Len(t, m.jobs, 2, "the shards' Job and the merge Job")

	secret := m.secrets[0]
	keys := make([]string, 0, len(secret.StringData))
	for k, v := range secret.StringData {
		keys = append(keys, k)
		assert.Contains(t, v, "REPLACE", "%s is a placeholder, never a real key", k)
	}
	slices.Sort(keys)
	assert.Equal(t, []string{signature.EnvAccessKeyID, signature.EnvAccessKeySecret}, keys, "the Secret's keys are the variables acsharness reads")

	claim := m.claims[0]
	assert.Contains(t, claim.Spec.AccessModes, corev1.ReadWriteMany, "shards on several nodes write at once")

	job := m.jobs["acsharness-load"]
	require.NotNil(t, job, "the Job acsharness-load")
	require.NotNil(t, job.Spec.CompletionMode)
	assert.Equal(t, batchv1.IndexedCompletion, *job.Spec.CompletionMode, "an Indexed Job numbers its pods")
	require.NotNil(t, job.Spec.Completions)
	require.NotNil(t, job.Spec.Parallelism)
	n := int(*job.Spec.Completions)
	assert.GreaterOrEqual(t, n, 2)
	assert.Equal(t, n, int(*job.Spec.Parallelism), "all shards run at once")
	require.NotNil(t, job.Spec.BackoffLimit)
	assert.Zero(t, *job.Spec.BackoffLimit, "a retried shard would start late and overlap nothing")
	pod := job.Spec.Template.Spec
	assert.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy)
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.NotEmpty(t, c.Args)
	assert.Equal(t, "load", c.Args[0])
	shards := envNamed(c, "ACSHARNESS_SHARDS")
	require.NotNil(t, shards)
	assert.Equal(t, strconv.Itoa(n), shards.Value, "ACSHARNESS_SHARDS is the Job's completions")
	idx := envNamed(c, "JOB_COMPLETION_INDEX")
	require.NotNil(t, idx)
	require.NotNil(t, idx.ValueFrom)
	require.NotNil(t, idx.ValueFrom.FieldRef)
	assert.Equal(t, "metadata.annotations['batch.kubernetes.io/job-completion-index']", idx.ValueFrom.FieldRef.FieldPath)
	require.Len(t, c.EnvFrom, 1)
	require.NotNil(t, c.EnvFrom[0].SecretRef)
	assert.Equal(t, secret.Name, c.EnvFrom[0].SecretRef.Name, "the shards read the Secret's keys as their environment")

	target, ok := flagValue(c.Args, "target")
	assert.True(t, ok && strings.HasPrefix(target, "http"), "--target is a URL")
	rate, ok := flagValue(c.Args, "rate")
	require.True(t, ok, "--rate")
	r, err := load.ParseRate(rate)
	require.NoError(t, err)
	assert.Positive(t, r)
	dur, ok := flagValue(c.Args, "duration")
	require.True(t, ok, "--duration")
	d, err := time.ParseDuration(dur)
	require.NoError(t, err)
	require.NotNil(t, job.Spec.ActiveDeadlineSeconds)
	assert.Less(t, d, time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second, "the deadline leaves room for the run")
	_, ok = flagValue(c.Args, "start-at")
	assert.True(t, ok, "--start-at makes the shards start together")
	reportDir, _ := flagValue(c.Args, "report-dir")
	assert.Equal(t, "/out/shard-$(JOB_COMPLETION_INDEX)", reportDir)
	_, ok = flagValue(c.Args, "slo")
	assert.False(t, ok, "shards carry no SLO: the merge judges the run")
	require.Len(t, c.VolumeMounts, 1)
	assert.Equal(t, "/out", c.VolumeMounts[0].MountPath)
	require.Len(t, pod.Volumes, 1)
	require.NotNil(t, pod.Volumes[0].PersistentVolumeClaim)
	assert.Equal(t, claim.Name, pod.Volumes[0].PersistentVolumeClaim.ClaimName)
	assert.Equal(t, c.VolumeMounts[0].Name, pod.Volumes[0].Name)

	merge := m.jobs["acsharness-merge"]
	require.NotNil(t, merge, "the Job acsharness-merge")
	require.NotNil(t, merge.Spec.BackoffLimit)
	assert.Zero(t, *merge.Spec.BackoffLimit, "a breach is not retried into a pass")
	require.Len(t, merge.Spec.Template.Spec.Containers, 1)
	mc := merge.Spec.Template.Spec.Containers[0]
	require.GreaterOrEqual(t, len(mc.Args), 2+n)
	assert.Equal(t, []string{"report", "merge"}, mc.Args[:2])
	var dirs, slos []string
	for _, a := range mc.Args[2:] {
		if !strings.HasPrefix(a, "-") {
			dirs = append(dirs, a)
		}
		if v, ok := strings.CutPrefix(a, "--slo="); ok {
			slos = append(slos, v)
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("/out/shard-%d", i))
	}
	assert.Equal(t, want, dirs, "the merge lists every shard's directory, N of them")
	mdir, _ := flagValue(mc.Args, "report-dir")
	assert.Equal(t, "/out/merged", mdir)
	require.NotEmpty(t, slos, "the merge gives the verdict")
	_, err = load.ParseSLOs(slos, nil)
	require.NoError(t, err, "every SLO of the merge parses")
	require.Len(t, merge.Spec.Template.Spec.Volumes, 1)
	require.NotNil(t, merge.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim)
	assert.Equal(t, claim.Name, merge.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName)
	assert.Equal(t, c.Image, mc.Image, "one image for both")
}

// A misspelt field fails the strict decoding this test relies on.
func TestStrictDecodingCatchesATypo(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("kubernetes", "load-job.yaml"))
	require.NoError(t, err)
	typo := bytes.Replace(b, []byte("completionMode:"), []byte("completionmode:"), 1)
	require.NotEqual(t, b, typo)
	var j batchv1.Job
	assert.ErrorContains(t, decodeStrict(typo, &j), `unknown field "spec.completionmode"`)
	unknown := bytes.Replace(b, []byte("parallelism:"), []byte("paralelism:"), 1)
	assert.ErrorContains(t, decodeStrict(unknown, &j), "paralelism")
	require.NoError(t, decodeStrict(b, &j))
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := string(b)
	for _, want := range []string{"FROM golang:1.26 AS build", "CGO_ENABLED=0 go build", "./cmd/acsharness",
		"FROM gcr.io/distroless/static", `ENTRYPOINT ["/acsharness"]`} {
		assert.Contains(t, df, want)
	}
}
