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
	"regexp"
	"strings"
	"syscall"

	"github.com/acsharness/acsharness/internal/spelling"
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
		{"report", "merge a distributed load run's shards, compare two runs, judge a recorded client: report merge|diff|client", runReport},
		{"bench", "measure signing against the SDK and the HMAC floor, the gateway against bare net/http, and the load generator against vegeta", runBench},
		{"vectors", "export the signing vectors (golden and random hard cases) as files any language reads", runVectors},
		{"signer", "check any signer over a JSON-lines pipe, step by step, and measure its throughput", runSigner},
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
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" { // help CMD is CMD -h
			return run(e, []string{args[1], "-h"})
		}
		usage(e.stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(e, args[1:])
	}
	names := make([]string, 0, len(commands()))
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
		names = append(names, c.name)
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "acsharness: %s before a command: the command comes first, as in acsharness conform %s\n", args[0], args[0])
	} else {
		fmt.Fprintf(e.stderr, "acsharness: unknown command %q%s\n", args[0], didYouMean(args[0], names, ""))
	}
	fmt.Fprintln(e.stderr, `Run "acsharness -h" for the list of commands.`)
	return exitUsage
}

// didYouMean returns ` (did you mean "<nearest>"?)` when one of valid is
// near word, and "" otherwise; with a prefix ("--" for a flag), the name
// is written with it and without quotes.
func didYouMean(word string, valid []string, prefix string) string {
	s := spelling.Nearest(word, valid)
	switch {
	case s == "":
		return ""
	case prefix == "":
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Sprintf(" (did you mean %s%s?)", prefix, s)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: acsharness <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "acsharness <command> -h" for a command's flags, "acsharness --version" for the version.`)
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 checks failed, 2 invalid invocation or input file, 3 SLO breached,")
	fmt.Fprintln(w, "4 target unreachable, 5 internal error, 105 interrupted.")
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runVersion(e *env, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	fmt.Fprintln(e.stdout, "acsharness", version)
	return exitOK
}

// parseFlags parses args into fs. -h prints the flags on stdout and stops
// with exitOK; a mistake prints one line naming it (with the flag meant,
// for a typo) and the way to the flags, and stops with exitUsage. It
// returns -1 to go on.
func parseFlags(e *env, fs *flag.FlagSet, args []string) int {
	if code := parseOnly(e, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "acsharness %s: unexpected argument %q (flags go before it? values with spaces need quotes)\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// parseInterspersed is parseFlags for a command that takes arguments among
// its flags, as in `report merge out/shard-* --report-dir out/merged`
// (where a shell glob puts them): the flag package stops at the first
// argument, so it parses around each one. It returns the arguments.
func parseInterspersed(e *env, fs *flag.FlagSet, args []string) ([]string, int) {
	var out []string
	for rest := args; ; {
		if code := parseOnly(e, fs, rest); code >= 0 {
			return nil, code
		}
		if fs.NArg() == 0 {
			return out, -1
		}
		out, rest = append(out, fs.Arg(0)), fs.Args()[1:]
	}
}

// parseOnly parses args into fs, handling -h and errors as parseFlags says.
func parseOnly(e *env, fs *flag.FlagSet, args []string) int {
	// The flag package prints every flag after any mistake; the output is
	// silenced and the mistake told in one line instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		printFlags(e.stdout, fs)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "acsharness %s: %s\n", fs.Name(), flagMistake(fs, err))
	fmt.Fprintf(e.stderr, "Run \"acsharness %s -h\" for its flags.\n", fs.Name())
	return exitUsage
}

// The flag package's error texts (go/src/flag/flag.go), to be said again
// in this tool's words: flags are written --name in its help and README.
var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	flagNoValue   = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	flagBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]*): (.*)$`)
)

// flagMistake says what was wrong with a flag, naming it as --name.
func flagMistake(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		name, _, _ := strings.Cut(m[1], "=")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		return fmt.Sprintf("unknown flag --%s%s", name, didYouMean(name, names, "--"))
	}
	if m := flagNoValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	if m := flagBadValue.FindStringSubmatch(msg); m != nil {
		why := m[3]
		if f := fs.Lookup(m[2]); f != nil && why == "parse error" {
			why = valueKind(f)
		}
		return fmt.Sprintf("--%s %s: %s", m[2], m[1], why)
	}
	return msg
}

// valueKind says what a flag's value must look like, for the flag
// package's bare "parse error".
func valueKind(f *flag.Flag) string {
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.boolValue":
		return "write true or false (or give the flag alone for true)"
	case "*flag.intValue", "*flag.int64Value":
		return "write a whole number"
	case "*flag.uintValue", "*flag.uint64Value":
		return "write a whole number, 0 or more"
	case "*flag.float64Value":
		return "write a number"
	case "*flag.durationValue":
		return "write a duration with its unit, such as 10s, 500ms or 1m30s"
	}
	return "parse error"
}

// printFlags writes a command's summary and its flags, as -h shows them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: acsharness %s [flags]\n", fs.Name())
	for _, c := range commands() {
		if c.name == fs.Name() {
			fmt.Fprintf(w, "\n%s\n", c.summary)
		}
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	fs.VisitAll(func(f *flag.Flag) {
		name, help := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "        %s", strings.ReplaceAll(help, "\n", "\n        "))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
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
