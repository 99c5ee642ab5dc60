package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/acsharness/acsharness/reports"
	"github.com/acsharness/acsharness/signercheck"
)

func signerUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: acsharness signer check --exec 'CMD ARGS' [--style rpc,roa,v3] [--cases 2000] [--seed 1] [--max-failures 10] [--json]")
	fmt.Fprintln(w, "       acsharness signer echo       (the built-in echo signer: the protocol's own cost)")
	fmt.Fprintln(w, "       acsharness signer reference  (the built-in reference signer: a correct reply to each request line)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "check starts your signer and writes one JSON request per line on its standard input (the")
	fmt.Fprintln(w, "fields of an exported input.json); it answers one JSON object per line on its standard output:")
	fmt.Fprintln(w, `{"id":"…","signature":"…"} and optionally "canonical", "string_to_sign", "authorization".`)
	fmt.Fprintln(w, "Every step it returns is compared byte for byte; then its throughput is measured.")
	fmt.Fprintln(w, "Exit: 0 every case passed, 1 a wrong signature, 2 a protocol error, 4 the signer cannot start.")
}

// runSigner dispatches `acsharness signer <verb>`.
func runSigner(e *env, args []string) int {
	if len(args) == 0 {
		signerUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return runSignerCheck(e, args[1:])
	case "echo":
		return runSignerServe(e, "echo", args[1:])
	case "reference":
		return runSignerServe(e, "reference", args[1:])
	case "-h", "--help", "help":
		signerUsage(e.stdout)
		return exitOK
	}
	return usageError(e, "signer", "unknown verb %q: use check or echo", args[0])
}

// signerEnv is added to the environment of the signer and of the echo
// signer. Tests, whose binary is not acsharness until told so, set it.
var signerEnv []string

// echoCommand returns the argv that runs this binary as the echo signer.
func echoCommand() ([]string, error) {
	exe, err := os.Executable()
	return []string{exe, "signer", "echo"}, err
}

// stdin is the input of the built-in signers; tests replace it.
var stdin io.Reader = os.Stdin

// runSignerServe runs a built-in signer over the protocol on stdin and
// stdout: the echo signer, or the reference signer (every step, right: what
// a correct reply looks like, line by line).
func runSignerServe(e *env, which string, args []string) int {
	fs := flag.NewFlagSet("signer "+which, flag.ContinueOnError)
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	serve := signercheck.Echo
	if which == "reference" {
		serve = signercheck.Reference
	}
	if err := serve(stdin, e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "acsharness signer %s: %v\n", which, err)
		return exitInternal
	}
	return exitOK
}

func runSignerCheck(e *env, args []string) int {
	fs := flag.NewFlagSet("signer check", flag.ContinueOnError)
	var (
		o                  signercheck.Options
		command, color     string
		styles             listFlag
		asJSON, noBench    bool
		noEcho             bool
		benchCalls, warmup int
	)
	fs.StringVar(&command, "exec", "", "the signer's command line, split like a shell's words (no shell runs; use sh -c '…' for one)")
	fs.Var(&styles, "style", "only these styles (rpc, roa, v3; comma-separated or repeated)")
	fs.IntVar(&o.Cases, "cases", 2000, "random hard cases per style, besides every golden vector")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the random cases (as vectors export --seed)")
	fs.IntVar(&o.MaxFailures, "max-failures", 10, "stop after this many failed cases")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "longest wait for one reply")
	fs.IntVar(&benchCalls, "bench-calls", 2000, "timed calls per throughput figure")
	fs.IntVar(&warmup, "bench-warmup", 200, "untimed calls before each throughput figure")
	fs.DurationVar(&o.BenchTime, "bench-time", 10*time.Second, "at most this long per throughput figure")
	fs.BoolVar(&noBench, "no-bench", false, "check only; do not measure throughput")
	fs.BoolVar(&noEcho, "no-echo", false, "do not measure the pipe with the built-in echo signer")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	fs.StringVar(&color, "color", "auto", "colour: auto, always or never")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if command == "" {
		return usageError(e, "signer check", "give the signer's command: --exec 'node signer.js' (see acsharness signer -h for the protocol)")
	}
	var err error
	if o.Command, err = signercheck.SplitCommand(command); err != nil {
		return usageError(e, "signer check", "--exec %q: %v", command, err)
	}
	if o.Styles, err = parseStyles(styles); err != nil {
		return usageError(e, "signer check", "--style: %v", err)
	}
	switch {
	case o.Cases < 0:
		return usageError(e, "signer check", "--cases %d: give a count of 0 or more", o.Cases)
	case o.MaxFailures < 1:
		return usageError(e, "signer check", "--max-failures %d: give 1 or more", o.MaxFailures)
	case o.Timeout <= 0 || o.BenchTime <= 0:
		return usageError(e, "signer check", "--timeout and --bench-time must be positive")
	case benchCalls < 1 || warmup < 0:
		return usageError(e, "signer check", "--bench-calls must be 1 or more and --bench-warmup 0 or more (or pass --no-bench)")
	}
	if !noBench {
		o.BenchCalls, o.Warmup = benchCalls, warmup
		if !noEcho {
			if o.Echo, err = echoCommand(); err != nil {
				fmt.Fprintf(e.stderr, "acsharness signer check: cannot find this program to run the echo signer: %v (pass --no-echo)\n", err)
				return exitInternal
			}
		}
	}

	o.Env, o.EchoEnv = signerEnv, signerEnv
	res, err := signercheck.Check(e.ctx, o)
	var (
		pe *signercheck.ProtocolError
		se *signercheck.StartError
	)
	switch {
	case e.ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "acsharness signer check: interrupted")
		return exitInterrupted
	case errors.As(err, &se):
		fmt.Fprintf(e.stderr, "acsharness signer check: %v\n", err)
		return exitUnreachable
	case err != nil && !errors.As(err, &pe):
		fmt.Fprintf(e.stderr, "acsharness signer check: %v\n", err)
		return exitInternal
	}
	if asJSON {
		if rerr := reports.SignerJSON(e.stdout, res); rerr != nil {
			fmt.Fprintf(e.stderr, "acsharness signer check: %v\n", rerr)
			return exitInternal
		}
	} else {
		_ = reports.SignerText(e.stdout, res, useColor(e, e.stdout, color))
	}
	if pe != nil {
		fmt.Fprintf(e.stderr, "acsharness signer check: the signer broke the protocol: %s\n", pe.Reason)
		return exitUsage
	}
	if !res.Passed() {
		return exitFailed
	}
	return exitOK
}
