package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/internal/nodetest"
	"github.com/acsharness/acsharness/signature"
)

// The official Node clients against the reference gateway: the test project
// in testdata/node pins @alicloud/openapi-client and @alicloud/pop-core (and
// all they need) in its package-lock.json; `npm ci` installs exactly those,
// once per lock file (internal/nodetest). clients.js calls RPC, ROA and V3
// with openapi-client and RPC with pop-core, each with the right secret and a
// wrong one. Without node and npm on the machine the test is skipped and
// says why; CI has Node, so there it runs.

// nodeTimeout bounds npm ci and the script together.
const nodeTimeout = 4 * time.Minute

// nodeOutcome is one line of clients.js.
type nodeOutcome struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Body   string `json:"body"`
}

func TestNodeClients(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("skipped: node not found (node and npm on PATH run the official Node clients against the gateway)")
	}
	if testing.Short() {
		t.Skip("skipped: -short (the Node clients need npm ci)")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()

	modules, err := nodetest.Modules(ctx, npm, filepath.Join("testdata", "node"))
	require.NoError(t, err)
	dir := nodetest.Script(t, modules, filepath.Join("testdata", "node"), "clients.js")

	srv, rec := startRecordedGateway(t, gateway.Config{})
	script := exec.CommandContext(ctx, node, "clients.js", srv.URL, gateway.DemoKeyID)
	script.Dir = dir
	script.Env = append(os.Environ(), "ACSHARNESS_NODE_SECRET="+gateway.DemoKeySecret)
	var stderr bytes.Buffer
	script.Stderr = &stderr
	stdout, err := script.Output()
	require.NoError(t, err, "node clients.js: %s", stderr.String())

	got := map[string]nodeOutcome{}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		var o nodeOutcome
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o), "a JSON line: %s", sc.Text())
		got[o.Name] = o
	}
	calls := []string{
		"openapi-client/rpc", "openapi-client/rpc-form", "openapi-client/roa", "openapi-client/roa-create-vhost",
		"openapi-client/roa-delete-vhost", "openapi-client/v3-rpc", "openapi-client/v3-roa",
		"openapi-client/v3-create-vhost", "openapi-client/v3-delete-vhost", "openapi-client/roa-probe",
		"pop-core/roa-probe", "pop-core/rpc", "pop-core/rpc-post",
	}
	require.Len(t, got, 2*len(calls), "one outcome per call and secret:\n%s", stdout)
	for _, name := range calls {
		t.Run(strings.ReplaceAll(name, "/", "-"), func(t *testing.T) {
			ok := got[name]
			assert.True(t, ok.OK, "%s must succeed against the gateway: %d %s %s", name, ok.Status, ok.Code, ok.Body)
			assert.Contains(t, ok.Body, "RequestId", "%s: the success body", name)
			wrong := got[name+"/wrong-secret"]
			assert.False(t, wrong.OK, "%s with a wrong secret must fail", name)
			assert.Equal(t, 400, wrong.Status, "%s with a wrong secret: %s", name, wrong.Body)
			assert.Equal(t, gateway.CodeSignatureDoesNotMatch, wrong.Code, "%s with a wrong secret: %s", name, wrong.Body)
			assert.NotContains(t, wrong.Body, gateway.DemoKeySecret, "no secret in an error")
		})
	}

	// The forms signature.Forms gives each Node client, seen on the wire.
	byClient := map[string][]wireRequest{}
	for _, w := range rec.requests(t) {
		ua, _, _ := w.get("User-Agent")
		sdk, _, _ := w.get("X-Sdk-Client")
		switch {
		case strings.Contains(sdk, "@alicloud/pop-core"):
			byClient[signature.ClientPopCoreNode] = append(byClient[signature.ClientPopCoreNode], w)
		case strings.Contains(ua, "TeaDSL/1"):
			byClient[signature.ClientOpenAPIClientTS] = append(byClient[signature.ClientOpenAPIClientTS], w)
		default:
			t.Errorf("a request from no known Node client: %s %s %q", w.method, w.uri, w.header)
		}
	}
	for _, client := range []string{signature.ClientOpenAPIClientTS, signature.ClientPopCoreNode} {
		t.Run("forms/"+client, func(t *testing.T) {
			checkClientForms(t, client, byClient[client], gateway.DemoKeySecret)
		})
	}

	// The string to sign of every "k=" vector, as the TypeScript and Node
	// libraries build it from the vector's request.
	vectors := filepath.Join("..", "signature", "testdata", "vectors", "roa-forms.json")
	absVectors, err := filepath.Abs(vectors)
	require.NoError(t, err)
	sts := exec.CommandContext(ctx, node, "clients.js", "--sts", absVectors)
	sts.Dir = dir
	sts.Stderr = &stderr
	out, err := sts.Output()
	require.NoError(t, err, "node clients.js --sts: %s", stderr.String())
	raw, err := os.ReadFile(vectors)
	require.NoError(t, err)
	var file struct {
		Cases []struct {
			Name         string `json:"name"`
			StringToSign string `json:"string_to_sign"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	want := map[string]string{}
	for _, c := range file.Cases {
		want[c.Name] = c.StringToSign
	}
	n := 0
	sc = bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct{ Name, Client, STS string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		assert.Equal(t, want[line.Name], line.STS, "%s builds the string to sign of vector %s", line.Client, line.Name)
		n++
	}
	assert.Equal(t, 4, n, "two k= vectors, each built by two Node libraries:\n%s", out)
}
