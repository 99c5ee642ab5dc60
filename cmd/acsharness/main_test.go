package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every mistake on the command line is told in one line and a hint, never
// the 40 lines of a flag list.
func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"misspelt command", []string{"confrom"}, `acsharness: unknown command "confrom" (did you mean "conform"?)`},
		{"unknown command", []string{"frobnicate"}, `acsharness: unknown command "frobnicate"` + "\n"},
		{"flag before the command", []string{"--target", "x", "conform"}, "acsharness: --target before a command"},
		{"misspelt flag", []string{"conform", "--tagret", "http://h"}, "acsharness conform: unknown flag --tagret (did you mean --target?)"},
		{"misspelt flag with its value", []string{"load", "--rat=5/s"}, "acsharness load: unknown flag --rat (did you mean --rate?)"},
		{"unknown flag", []string{"sign", "--secret", "x"}, "acsharness sign: unknown flag --secret\n"},
		{"flag without its value", []string{"conform", "--target"}, "acsharness conform: --target needs a value"},
		{"not a number", []string{"conform", "--concurrency", "many"}, `acsharness conform: --concurrency "many": write a whole number`},
		{"not a duration", []string{"conform", "--timeout", "5"}, `acsharness conform: --timeout "5": write a duration with its unit`},
		{"not a boolean", []string{"conform", "--quiet=maybe"}, `acsharness conform: --quiet "maybe": write true or false`},
		{"negative count", []string{"load", "--workers", "-1"}, `acsharness load: --workers "-1": write a whole number, 0 or more`},
		{"misspelt report verb", []string{"report", "merg"}, `acsharness report: unknown verb "merg" (did you mean "merge"?)`},
		{"misspelt benchmark", []string{"bench", "signr"}, `unknown benchmark "signr" (did you mean "signer"?)`},
		{"misspelt flag of a subcommand", []string{"report", "merge", "--slo-fil", "x", "d"}, "acsharness report merge: unknown flag --slo-fil (did you mean --slo-file?)"},
		{"stray argument", []string{"version", "now"}, `acsharness version: unexpected argument "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, map[string]string{}, tc.args...)
			assert.Equal(t, exitUsage, code, "a mistake exits 2")
			assert.Contains(t, errOut, tc.want)
			assert.Empty(t, out, "nothing on stdout")
			assert.LessOrEqual(t, strings.Count(errOut, "\n"), 2, "one line and a hint, not the flag list:\n%s", errOut)
			assert.NotContains(t, errOut, "flag provided but not defined", "the flag package's own words are replaced")
		})
	}
}

// -h exits 0 for every command and subcommand, printing on stdout.
func TestHelpEverywhere(t *testing.T) {
	t.Parallel()
	invocations := [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "conform"}, {"report", "merge", "-h"}, {"bench", "signer", "-h"}, {"bench", "gateway", "-h"}}
	for _, c := range commands() {
		invocations = append(invocations, []string{c.name, "-h"}, []string{c.name, "--help"})
	}
	for _, args := range invocations {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, map[string]string{}, args...)
			assert.Equal(t, exitOK, code, "asking for help is not a mistake: %s", errOut)
			assert.Contains(t, out, "usage: acsharness", "the help goes to stdout")
			assert.Empty(t, errOut)
			assert.NotContains(t, out, "acsharness "+version+"\n", "-h prints the help, not the version")
		})
	}
	_, out, _ := runCLI(t, map[string]string{}, "conform", "-h")
	assert.Contains(t, out, "  --target string\n", "flags are written as --name")
	assert.Contains(t, out, `(default "8")`, "with their defaults")
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := runCLI(t, map[string]string{}, args...)
		assert.Equal(t, exitOK, code, "%v: %s", args, errOut)
		assert.Equal(t, "acsharness "+version+"\n", out, "%v prints the version", args)
	}
	code, _, errOut := runCLI(t, map[string]string{})
	assert.Equal(t, exitUsage, code, "no command is a mistake")
	assert.Contains(t, errOut, "usage: acsharness <command>")
}
