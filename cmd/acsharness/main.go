// Command acsharness proves that an API gateway speaks the Alibaba Cloud POP
// signed-request protocol correctly, and measures how fast it and its
// signers go. Each subcommand lives in its own file and only maps flags to a
// package call and its result to an exit code (see exitcodes.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// env is what a subcommand may touch of the outside world, so that tests
// can run it in-process.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{"sign", "sign one request and print every step of the signature, and a curl line", runSign},
		{"serve", "run the reference gateway (RPC, ROA and V3; MQTT and RabbitMQ)", runServe},
		{"conform", "run the conformance suite against a gateway (default: the embedded one)", runConform},
		{"selftest", "prove the suite catches every fault of the reference gateway's catalogue", runSelftest},
		{"load", "send signed load at a rate, with latency reports, SLO gates and metrics", runLoad},
		{"report", "merge the shards of a distributed load run, or compare two load runs: report merge|diff", runReport},
		{"bench", "measure signing against the SDK and the HMAC floor, and the gateway against bare net/http", runBench},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(&env{ctx: ctx, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "acsharness: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: acsharness <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "acsharness <command> -h" for a command's flags. Exit codes: 0 ok, 1 checks failed,`)
	fmt.Fprintln(w, "2 invalid invocation or input file, 3 SLO breached, 4 target unreachable, 5 internal error,")
	fmt.Fprintln(w, "105 interrupted.")
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runVersion(e *env, _ []string) int {
	fmt.Fprintln(e.stdout, "acsharness", version)
	return exitOK
}

// parseFlags parses args into fs, reporting errors on stderr; it returns
// the exit code to stop with, or -1 to go on.
func parseFlags(e *env, fs *flag.FlagSet, args []string) int {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "acsharness %s: unexpected argument %q (flags go before it? values with spaces need quotes)\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// usageError prints a message naming the problem and its fix and returns
// exitUsage.
func usageError(e *env, cmd string, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "acsharness %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return exitUsage
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
