// Package nodetest gives a test the npm packages a Node script of the
// official clients needs, installed once per lock file.
//
// `npm ci` takes about 5 s of CPU even when npm's own cache holds every
// package, and make test runs two such tests: a tenth of its whole budget
// on a 2-core machine, spent to rebuild the same node_modules. Modules
// installs a directory's package-lock.json once, into the user's cache
// directory under a name made of the SHA-256 of package.json and
// package-lock.json, and hands the same node_modules to every later run
// while neither file changes. A clean machine (CI) installs it once, as
// before.
package nodetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// complete marks an installation that finished; it is written last.
const complete = ".acsharness-complete"

// Root is where Modules keeps its installations: ACSHARNESS_NPM_CACHE if
// set, else acsharness-test/npm under the user's cache directory (the
// system's temporary directory without one).
func Root() string {
	if d := os.Getenv("ACSHARNESS_NPM_CACHE"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "acsharness-test", "npm")
}

// Modules returns the path of a node_modules directory holding exactly what
// dir's package-lock.json pins, running `npm ci` (with npm, offline when
// its cache allows) only if no earlier run installed the same package.json
// and package-lock.json. Two runs at once each install into a directory
// of their own and the first to finish is kept, so neither sees a half-made
// node_modules.
func Modules(ctx context.Context, npm, dir string) (string, error) {
	var files [2][]byte
	h := sha256.New()
	for i, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		files[i] = b
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	root := Root()
	final := filepath.Join(root, hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(final, complete)); err == nil {
		return filepath.Join(final, "node_modules"), nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, filepath.Base(final)+".installing-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for i, name := range []string{"package.json", "package-lock.json"} {
		if err := os.WriteFile(filepath.Join(tmp, name), files[i], 0o644); err != nil {
			return "", err
		}
	}
	install := exec.CommandContext(ctx, npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts")
	install.Dir = tmp
	if out, err := install.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci of %s (the lock file pins every version): %w\n%s", dir, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, complete), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another run finished first (final exists and is not empty).
		if _, serr := os.Stat(filepath.Join(final, complete)); serr != nil {
			return "", errors.Join(err, serr)
		}
	}
	return filepath.Join(final, "node_modules"), nil
}

// Script copies the files of dir named in names into a new temporary
// directory of t's, beside a node_modules link to modules, and returns it:
// node resolves the script's require calls as in an installed project.
func Script(tb testing.TB, modules, dir string, names ...string) string {
	tb.Helper()
	out := tb.TempDir()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatalf("%v", err)
		}
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			tb.Fatalf("%v", err)
		}
	}
	if err := os.Symlink(modules, filepath.Join(out, "node_modules")); err != nil {
		tb.Fatalf("%v", err)
	}
	return out
}
