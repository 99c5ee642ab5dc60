package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/acsharness/acsharness/gateway"
)

// action is action.yml, as much of GitHub's action metadata syntax as it
// uses; an unknown key is an error (a misspelt "shell" would be ignored by
// nobody but a reader).
type action struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Author      string                  `yaml:"author"`
	Branding    map[string]string       `yaml:"branding"`
	Inputs      map[string]actionInput  `yaml:"inputs"`
	Outputs     map[string]actionOutput `yaml:"outputs"`
	Runs        struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string `yaml:"description"`
	Default     string `yaml:"default"`
	Required    bool   `yaml:"required"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	With  map[string]string `yaml:"with"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

// repoRoot is the repository's root: the action's own checkout.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

func readAction(t testing.TB) *action {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	require.NoError(t, err, "action.yml at the repository's root")
	var a action
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&a), "action.yml: every key known")
	return &a
}

// stepCommands is the acsharness command each run step passes flags to;
// the other run steps pass none.
var stepCommands = map[string]string{"conform": "conform", "load": "load"}

// commandFlags are the flags of an acsharness command, as the binary
// registers them.
func commandFlags(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	switch cmd {
	case "conform":
		var c conformFlags
		c.register(fs)
	case "load":
		var l loadFlags
		l.register(fs)
	}
	return fs
}

var (
	expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	inputRef   = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	stepRef    = regexp.MustCompile(`^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$`)
	passedFlag = regexp.MustCompile(`(?m)(?:^|[\s(])--([a-z][a-z0-9-]*)`)
	envRef     = regexp.MustCompile(`\$\{?(INPUT_[A-Z0-9_]+|ACSHARNESS|CONFORM_CODE|LOAD_CODE)\b`)
	outputSet  = regexp.MustCompile(`echo "([a-z0-9-]+)=`)
	secretName = regexp.MustCompile(`(?i)secret|token|password|credential|access-key`)
)

// actionProblems lists what is wrong with an action: an input declared and
// never used, or used and never declared; an input that looks like a
// secret (secrets come through env: only); a run script that splices an
// expression into its text (inputs reach scripts through env:); a run step
// with an if: (every run step runs; each decides from its env); a flag a
// step passes that its command does not define, or a flag in a step that
// runs no command; a variable a script reads that its env: does not set; an
// output of a step nobody writes; a uses: step other than a pinned
// actions/setup-go (the action uploads nothing itself).
func actionProblems(a *action) []string {
	var out []string
	used := map[string]bool{}
	ids := map[string]*actionStep{}
	for i := range a.Runs.Steps {
		s := &a.Runs.Steps[i]
		if s.ID != "" {
			ids[s.ID] = s
		}
		var exprs []string
		exprs = append(exprs, s.If)
		for _, v := range s.With {
			exprs = append(exprs, v)
		}
		for _, v := range s.Env {
			exprs = append(exprs, v)
		}
		for _, e := range exprs {
			for _, m := range inputRef.FindAllStringSubmatch(e, -1) {
				used[m[1]] = true
				if _, ok := a.Inputs[m[1]]; !ok {
					out = append(out, fmt.Sprintf("step %q uses input %q, which is not declared", s.Name, m[1]))
				}
			}
		}
		switch {
		case s.Uses != "":
			if !regexp.MustCompile(`^actions/setup-go@v\d+$`).MatchString(s.Uses) {
				out = append(out, fmt.Sprintf("step %q uses %s: only a pinned actions/setup-go belongs in the action", s.Name, s.Uses))
			}
			continue
		case s.Shell != "bash":
			out = append(out, fmt.Sprintf("step %q: shell %q, not bash", s.Name, s.Shell))
		case s.If != "":
			out = append(out, fmt.Sprintf("step %q has if: %s; a run step decides from its env instead", s.Name, s.If))
		}
		if strings.Contains(s.Run, "${{") {
			out = append(out, fmt.Sprintf("step %q splices an expression into its script: pass it through env:", s.Name))
		}
		var fs *flag.FlagSet
		if cmd, ok := stepCommands[s.ID]; ok {
			fs = commandFlags(cmd)
		}
		for _, m := range passedFlag.FindAllStringSubmatch(s.Run, -1) {
			switch {
			case fs == nil:
				out = append(out, fmt.Sprintf("step %q passes --%s but runs no acsharness command", s.Name, m[1]))
			case fs.Lookup(m[1]) == nil:
				out = append(out, fmt.Sprintf("step %q passes --%s, which acsharness %s does not define", s.Name, m[1], fs.Name()))
			}
		}
		for _, m := range envRef.FindAllStringSubmatch(s.Run, -1) {
			if _, ok := s.Env[m[1]]; !ok {
				out = append(out, fmt.Sprintf("step %q reads $%s, which its env: does not set", s.Name, m[1]))
			}
		}
	}
	for name, in := range a.Inputs {
		if !used[name] {
			out = append(out, fmt.Sprintf("input %q is declared and never used", name))
		}
		if in.Description == "" {
			out = append(out, fmt.Sprintf("input %q has no description", name))
		}
		if secretName.MatchString(name) {
			out = append(out, fmt.Sprintf("input %q looks like a secret: secrets come through env: only", name))
		}
	}
	for name, o := range a.Outputs {
		m := stepRef.FindStringSubmatch(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(o.Value, "${{"), "}}")))
		if m == nil {
			out = append(out, fmt.Sprintf("output %q is %q, not a step's output", name, o.Value))
			continue
		}
		s, ok := ids[m[1]]
		if !ok {
			out = append(out, fmt.Sprintf("output %q names step %q, which does not exist", name, m[1]))
			continue
		}
		if !slices.ContainsFunc(outputSet.FindAllStringSubmatch(s.Run, -1), func(w []string) bool { return w[1] == m[2] }) {
			out = append(out, fmt.Sprintf("output %q: step %q never writes %s", name, m[1], m[2]))
		}
	}
	slices.Sort(out)
	return out
}

// action.yml holds together: every input used, every flag known to the
// command it is passed to, secrets never an input; and each of those
// checks fails when its rule is broken.
func TestActionDefinition(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	assert.Equal(t, "composite", a.Runs.Using)
	assert.NotEmpty(t, a.Description)
	assert.Empty(t, actionProblems(a), "action.yml")

	stepNamed := func(a *action, id string) *actionStep {
		for i := range a.Runs.Steps {
			if a.Runs.Steps[i].ID == id {
				return &a.Runs.Steps[i]
			}
		}
		t.Fatalf("no step %s", id)
		return nil
	}
	for _, tc := range []struct {
		name    string
		breakIt func(a *action)
		says    string
	}{
		{"an unused input", func(a *action) { a.Inputs["unused"] = actionInput{Description: "x"} }, `input "unused" is declared and never used`},
		{"an undeclared input", func(a *action) { delete(a.Inputs, "strict") }, `uses input "strict", which is not declared`},
		{"a secret as an input", func(a *action) {
			a.Inputs["access-key-secret"] = actionInput{Description: "x"}
			stepNamed(a, "conform").Env["INPUT_SECRET"] = "${{ inputs.access-key-secret }}"
		}, `input "access-key-secret" looks like a secret`},
		{"an unknown flag", func(a *action) {
			stepNamed(a, "conform").Run += "\nvalue --tagret \"$INPUT_TARGET\"\n"
		}, "passes --tagret, which acsharness conform does not define"},
		{"a load flag given to conform", func(a *action) {
			stepNamed(a, "conform").Run += "\nlines --slo \"$INPUT_SLO\"\n"
		}, "passes --slo, which acsharness conform does not define"},
		{"an expression in a script", func(a *action) {
			stepNamed(a, "load").Run += "\necho ${{ inputs.target }}\n"
		}, "splices an expression into its script"},
		{"a variable not in env", func(a *action) {
			delete(stepNamed(a, "load").Env, "INPUT_SLO")
		}, `reads $INPUT_SLO, which its env: does not set`},
		{"an output never written", func(a *action) {
			a.Outputs["x"] = actionOutput{Description: "x", Value: "${{ steps.conform.outputs.nothing }}"}
		}, `step "conform" never writes nothing`},
		{"an upload", func(a *action) {
			a.Runs.Steps = append(a.Runs.Steps, actionStep{Name: "Upload", Uses: "actions/upload-artifact@v4"})
		}, "only a pinned actions/setup-go belongs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			broken := readAction(t)
			tc.breakIt(broken)
			assert.Contains(t, strings.Join(actionProblems(broken), "\n"), tc.says)
		})
	}
}

// actionRun is one run of the action's steps, as a runner would run them.
type actionRun struct {
	code    int               // the exit code of the step that stopped the run, or 0
	outputs map[string]string // the action's outputs
	summary string            // what the steps wrote to $GITHUB_STEP_SUMMARY
	log     string            // every step's stdout and stderr
	ran     []string          // the ids (or names) of the steps run
}

// runAction runs the action's run steps in order with bash, as GitHub runs
// a composite action's `shell: bash` steps (bash --noprofile --norc -eo
// pipefail FILE), in workspace, with a local GITHUB_* environment: each
// step's env: evaluated (inputs, the outputs of earlier steps), its own
// $GITHUB_OUTPUT file, one $GITHUB_STEP_SUMMARY. A failing step stops the
// run, as on GitHub. uses: steps are not run: no network, and Go is here
// already. jobEnv is the job's env: (credentials).
func runAction(t *testing.T, a *action, workspace string, inputs, jobEnv map[string]string) actionRun {
	t.Helper()
	for k := range inputs {
		_, declared := a.Inputs[k]
		require.True(t, declared, "the test gives input %q, which the action does not declare", k)
	}
	temp := t.TempDir()
	summary := filepath.Join(temp, "step_summary.md")
	require.NoError(t, os.WriteFile(summary, nil, 0o600))
	steps := map[string]map[string]string{}
	eval := func(s string) string {
		return expression.ReplaceAllStringFunc(s, func(e string) string {
			x := strings.TrimSpace(expression.FindStringSubmatch(e)[1])
			if name, ok := strings.CutPrefix(x, "inputs."); ok {
				if v, given := inputs[name]; given {
					return v
				}
				return a.Inputs[name].Default
			}
			if m := stepRef.FindStringSubmatch(x); m != nil {
				return steps[m[1]][m[2]]
			}
			if x == "github.action_path" {
				return repoRoot(t)
			}
			t.Fatalf("action.yml uses the expression %q, which this test cannot evaluate", x)
			return ""
		})
	}
	base := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + temp, "TMPDIR=" + temp, "CI=true", "GITHUB_ACTIONS=true",
		"RUNNER_OS=Linux", "RUNNER_TEMP=" + temp, "GITHUB_WORKSPACE=" + workspace, "GITHUB_ACTION_PATH=" + repoRoot(t),
		"GITHUB_ACTION_REF=test", "GITHUB_STEP_SUMMARY=" + summary,
		// Go builds from the module and build caches this test runs with,
		// never the network.
		"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly",
	}
	goVars, err := goEnv()
	require.NoError(t, err, "go env")
	base = append(base, goVars...)
	for k, v := range jobEnv {
		base = append(base, k+"="+v)
	}
	var run actionRun
	var log strings.Builder
	for i, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		id := s.ID
		if id == "" {
			id = fmt.Sprintf("step-%d", i)
		}
		script := filepath.Join(temp, id+".sh")
		require.NoError(t, os.WriteFile(script, []byte(s.Run), 0o600))
		output := filepath.Join(temp, id+".output")
		require.NoError(t, os.WriteFile(output, nil, 0o600))
		env := append(slices.Clone(base), "GITHUB_OUTPUT="+output)
		for k, v := range s.Env {
			env = append(env, k+"="+eval(v))
		}
		// A bound against a hang only: a cold build on a busy machine is slow.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir, cmd.Env = workspace, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		fmt.Fprintf(&log, "== %s\n%s", s.Name, out.String())
		run.ran = append(run.ran, id)
		steps[id] = readOutputs(t, output)
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			require.True(t, ok, "step %s: %v\n%s", s.Name, err, out.String())
			run.code = ee.ExitCode()
			break
		}
	}
	run.outputs = map[string]string{}
	for name, o := range a.Outputs {
		run.outputs[name] = eval(o.Value)
	}
	b, err := os.ReadFile(summary)
	require.NoError(t, err)
	run.summary, run.log = string(b), log.String()
	return run
}

// readOutputs parses a $GITHUB_OUTPUT file: NAME=VALUE lines, and
// NAME<<DELIMITER blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			out[name] = strings.Join(v, "\n")
		} else if name, v, ok := strings.Cut(lines[i], "="); ok {
			out[name] = v
		}
	}
	return out
}

// goEnv is where this test's Go keeps its caches and toolchain, for the
// action's go build: GOCACHE, GOMODCACHE, GOPATH and GOROOT as VAR=value.
var goEnv = sync.OnceValues(func() ([]string, error) {
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"}
	b, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		return nil, err
	}
	var out []string
	for i, v := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i < len(keys) && v != "" {
			out = append(out, keys[i]+"="+v)
		}
	}
	return out, nil
})

// startServe starts `acsharness serve` over TLS on a free loopback port and
// returns its URL and the certificate file.
func startServe(t *testing.T, bin string) (string, string) {
	t.Helper()
	cert := filepath.Join(t.TempDir(), "gw.pem")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--tls-self-signed", "--tls-cert-out", cert, "--no-access-log")
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			var line struct {
				Msg, URL string
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.URL != "" {
				urls <- line.URL
				break
			}
		}
		for sc.Scan() { // keep draining, so that serve never blocks on its log
		}
	}()
	select {
	case u := <-urls:
		require.True(t, strings.HasPrefix(u, "https://127.0.0.1:"), "serve listens over TLS on loopback: %s", u)
		return u, cert
	case <-time.After(30 * time.Second):
		t.Fatal("acsharness serve did not say where it listens within 30s")
	}
	return "", ""
}

// The action's steps run as a runner runs them, against real gateways:
// built from the action's checkout, conform and load pass against the
// embedded gateway and write the step summary; against `serve` over TLS
// with --ca-cert and credentials from the job's env, a key turned active
// is a regression against the previous run's baseline (exit 1), and the
// same failures against their own baseline are not (exit 0); an SLO
// breach exits 3, a wrong input 2; the secret never shows.
func TestActionRuns(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	workspace := t.TempDir()

	// The action builds acsharness itself when no binary is given.
	pass := runAction(t, a, workspace, map[string]string{
		"command": "both", "report-dir": "out/pass", "load-rate": "50/s", "load-duration": "2s",
		"slo": "success>=99%\np99<5s\n",
	}, map[string]string{})
	require.Equal(t, exitOK, pass.code, pass.log)
	bin := pass.outputs["binary"]
	require.FileExists(t, bin, "the binary built")
	assert.Contains(t, pass.log, "acsharness action-test", "the binary is stamped with the action's ref")
	assert.Equal(t, map[string]string{"exit-code": "0", "conform-exit-code": "0", "load-exit-code": "0", "report-dir": "out/pass", "binary": bin}, pass.outputs)
	assert.Regexp(t, `(?m)^## ✅ acsharness conformance: all \d+ cases passed$`, pass.summary, "conform's report.md in the summary")
	assert.Contains(t, pass.summary, "## acsharness load: exit 0\n\n````text\ntarget     embedded reference gateway")
	assert.Contains(t, pass.summary, "✓ success>=99%")
	for _, f := range []string{"out/pass/conformance/report.json", "out/pass/conformance/report.md", "out/pass/load/summary.json"} {
		assert.FileExists(t, filepath.Join(workspace, f))
	}

	url, cert := startServe(t, bin)
	secret := gateway.DemoKeySecret
	creds := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": gateway.DemoKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret}
	own := func(dir, inactive, baseline string) map[string]string {
		return map[string]string{
			"binary": bin, "target": url, "ca-cert": cert, "category": "parameters", "inactive-key-id": inactive,
			"report-dir": dir, "baseline": baseline,
		}
	}
	base := runAction(t, a, workspace, own("out/base", "testinactive", ""), creds)
	require.Equal(t, exitOK, base.code, base.log)
	assert.NotContains(t, base.ran, "step-0", "no build with a binary given")

	// The "inactive" key is an active one now: its cases fail.
	regressed := runAction(t, a, workspace, own("out/regressed", "testid2", "out/base/conformance"), creds)
	require.Equal(t, exitFailed, regressed.code, regressed.log)
	assert.Equal(t, "1", regressed.outputs["exit-code"])
	assert.Equal(t, "1", regressed.outputs["conform-exit-code"])
	assert.Empty(t, regressed.outputs["load-exit-code"], "load did not run")
	assert.Contains(t, regressed.summary, "## ❌ acsharness conformance:", "the run's report")
	assert.Contains(t, regressed.summary, "## ❌ Conformance against the baseline: regressed", "the comparison")
	assert.Regexp(t, `parameters/key-inactive\\\[rpc/onsmqtt\\\] \| pass \| fail \| passed, now fails: breaks param.key-inactive \(must\)`, regressed.summary)
	assert.Contains(t, regressed.log, "::error title=acsharness conform::exit 1")

	// The same failures against a baseline that has them are no regression.
	known := runAction(t, a, workspace, own("out/known", "testid2", "out/regressed/conformance"), creds)
	require.Equal(t, exitOK, known.code, known.log)
	assert.Contains(t, known.summary, "## ❌ acsharness conformance:", "the run still fails cases")
	assert.Contains(t, known.summary, "## ✅ Conformance against the baseline: no regression")
	assert.Regexp(t, `<summary>Still failing, as in the baseline \(\d+\)</summary>`, known.summary)

	breach := runAction(t, a, workspace, map[string]string{
		"binary": bin, "command": "load", "report-dir": "out/breach", "load-requests": "20", "load-rate": "100/s", "slo": "p99<1ns",
	}, map[string]string{})
	assert.Equal(t, exitSLO, breach.code, breach.log)
	assert.Equal(t, "3", breach.outputs["load-exit-code"])
	assert.Empty(t, breach.outputs["conform-exit-code"], "conform did not run")
	assert.Contains(t, breach.summary, "✗ p99<1ns")

	for _, tc := range []struct {
		name   string
		inputs map[string]string
		says   string
	}{
		{"command", map[string]string{"binary": bin, "command": "conformance"}, `input command is "conformance": use conform, load or both`},
		{"binary", map[string]string{"binary": filepath.Join(workspace, "nope")}, "input binary " + filepath.Join(workspace, "nope") + " is not an executable file"},
		{"switch", map[string]string{"binary": bin, "strict": "yes"}, `input strict is "yes": use true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAction(t, a, workspace, tc.inputs, map[string]string{})
			assert.Equal(t, exitUsage, r.code, r.log)
			assert.Contains(t, r.log, "::error title=acsharness::"+tc.says)
			assert.NotContains(t, r.ran, "verdict", "a failed step stops the run")
		})
	}
	t.Run("a usage error of acsharness", func(t *testing.T) {
		r := runAction(t, a, workspace, map[string]string{"binary": bin, "category": "speed", "report-dir": "out/usage"}, map[string]string{})
		assert.Equal(t, exitUsage, r.code, r.log)
		assert.Contains(t, r.summary, "## acsharness conform: exit 2\n\nNo report was written: the step log says why.")
	})

	for _, r := range []actionRun{pass, base, regressed, known, breach} {
		for _, text := range []string{r.summary, r.log, fmt.Sprint(r.outputs)} {
			assert.NotContains(t, text, secret, "the secret shows in the action's output")
		}
	}
}

// helpFlags are the flags `acsharness CMD -h` lists.
func helpFlags(t *testing.T, cmd ...string) []string {
	t.Helper()
	code, out, _ := runCLI(t, map[string]string{}, append(cmd, "-h")...)
	require.Equal(t, exitOK, code)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`).FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	require.NotEmpty(t, names, "acsharness %v -h lists flags", cmd)
	return names
}

// The example workflow uses the action as it is: inputs it declares,
// credentials through env: only, no @latest (the module proxy refuses it
// for some modules), flags acsharness knows, and the reports uploaded by
// actions/upload-artifact whatever the outcome.
func TestActionExample(t *testing.T) {
	t.Parallel()
	path := filepath.Join(repoRoot(t), "examples", "github-actions", "conformance.yml")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "@latest")
	assert.NotContains(t, string(b), "go install")
	var wf struct {
		Jobs map[string]struct {
			Steps []actionStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &wf))
	a := readAction(t)
	serve := helpFlags(t, "serve")
	var uses, uploads int
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			switch {
			case strings.HasPrefix(s.Uses, "acsharness/acsharness@"):
				uses++
				for k, v := range s.With {
					_, declared := a.Inputs[k]
					assert.True(t, declared, "the example gives input %q, which action.yml does not declare", k)
					assert.NotContains(t, v, "secrets.", "input %q carries a secret: secrets go through env:", k)
				}
				for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"} {
					assert.Contains(t, s.Env, k, "the credentials through env:")
				}
				assert.NotEmpty(t, s.With["report-dir"])
				for _, u := range wf.Jobs {
					for _, up := range u.Steps {
						if strings.HasPrefix(up.Uses, "actions/upload-artifact@") {
							uploads++
							assert.Equal(t, "always()", up.If, "the reports are kept when a check fails")
							assert.True(t, strings.HasPrefix(up.With["path"], s.With["report-dir"]), "the upload holds the action's report-dir")
						}
					}
				}
			case s.Uses != "":
				assert.Regexp(t, `^[\w.-]+/[\w.-]+@v\d+$`, s.Uses, "a pinned major version")
			}
			if strings.Contains(s.Run, " serve ") {
				for _, m := range passedFlag.FindAllStringSubmatch(s.Run, -1) {
					assert.Contains(t, serve, m[1], "acsharness serve has --%s", m[1])
				}
			}
		}
	}
	assert.Equal(t, 1, uses, "the example uses the action once")
	assert.Equal(t, 1, uploads, "and uploads its reports")
}
