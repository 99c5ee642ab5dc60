package nodetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNPM writes an npm that logs each call to log and installs a
// node_modules holding a copy of the lock file, or fails saying so.
func fakeNPM(t *testing.T, fail bool) (npm, log string) {
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$@\" >> " + log + "\n"
	if fail {
		script += "echo 'npm ERR! 404 Not Found' >&2\nexit 1\n"
	} else {
		script += "mkdir -p node_modules/pkg && cp package-lock.json node_modules/pkg/lock\n"
	}
	npm = filepath.Join(dir, "npm")
	require.NoError(t, os.WriteFile(npm, []byte(script), 0o755))
	return npm, log
}

func project(t *testing.T, lock string) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"p"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock), 0o644))
	return dir
}

func calls(t *testing.T, log string) int {
	b, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// npm ci runs once per lock file; a changed lock installs again; the
// node_modules handed out holds what that lock installed.
func TestModulesInstallsOncePerLock(t *testing.T) {
	t.Setenv("ACSHARNESS_NPM_CACHE", t.TempDir())
	npm, log := fakeNPM(t, false)
	dir := project(t, "v1")
	ctx := context.Background()

	mods, err := Modules(ctx, npm, dir)
	require.NoError(t, err)
	assert.Equal(t, 1, calls(t, log))
	b, err := os.ReadFile(filepath.Join(mods, "pkg", "lock"))
	require.NoError(t, err)
	assert.Equal(t, "v1", string(b))
	first, _ := os.ReadFile(log)
	assert.Equal(t, "ci --prefer-offline --no-audit --no-fund --ignore-scripts\n", string(first))

	again, err := Modules(ctx, npm, dir)
	require.NoError(t, err)
	assert.Equal(t, mods, again)
	assert.Equal(t, 1, calls(t, log), "the second run reuses the installation")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte("v2"), 0o644))
	v2, err := Modules(ctx, npm, dir)
	require.NoError(t, err)
	assert.NotEqual(t, mods, v2)
	assert.Equal(t, 2, calls(t, log), "a changed lock file installs again")
	b, err = os.ReadFile(filepath.Join(v2, "pkg", "lock"))
	require.NoError(t, err)
	assert.Equal(t, "v2", string(b))
}

// A failed npm ci is an error with npm's own words, and leaves nothing a
// later run would take for an installation.
func TestModulesFailedInstall(t *testing.T) {
	root := t.TempDir()
	t.Setenv("ACSHARNESS_NPM_CACHE", root)
	bad, _ := fakeNPM(t, true)
	dir := project(t, "v1")
	_, err := Modules(context.Background(), bad, dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "npm ERR! 404 Not Found")
	assert.Contains(t, err.Error(), dir)
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Empty(t, entries, "no half-made installation is kept")

	good, log := fakeNPM(t, false)
	_, err = Modules(context.Background(), good, dir)
	require.NoError(t, err)
	assert.Equal(t, 1, calls(t, log), "the next run installs")
}

// Runs at once each get a complete node_modules.
func TestModulesConcurrent(t *testing.T) {
	t.Setenv("ACSHARNESS_NPM_CACHE", t.TempDir())
	npm, _ := fakeNPM(t, false)
	dir := project(t, "v1")
	var wg sync.WaitGroup
	paths := make([]string, 4)
	for i := range paths {
		wg.Go(func() {
			p, err := Modules(context.Background(), npm, dir)
			assert.NoError(t, err)
			paths[i] = p
		})
	}
	wg.Wait()
	for _, p := range paths {
		assert.Equal(t, paths[0], p)
		assert.FileExists(t, filepath.Join(p, "pkg", "lock"))
	}
}

// Script lays out the script beside a node_modules link.
func TestScript(t *testing.T) {
	mods := t.TempDir()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.js"), []byte("x"), 0o644))
	out := Script(t, mods, dir, "a.js")
	assert.FileExists(t, filepath.Join(out, "a.js"))
	target, err := os.Readlink(filepath.Join(out, "node_modules"))
	require.NoError(t, err)
	assert.Equal(t, mods, target)
}
