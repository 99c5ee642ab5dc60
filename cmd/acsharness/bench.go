package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/load"
	"github.com/acsharness/acsharness/signature"
)

func benchUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: acsharness bench signer  [--duration 1s] [--count 5] [--json]")
	fmt.Fprintln(w, "       acsharness bench gateway [--duration 7s] [--workers 32] [--rounds 7] [--no-access-log]")
	fmt.Fprintln(w, "                                 [--cpuprofile FILE] [--bare-cpuprofile FILE] [--profile-time 5s] [--json]")
	fmt.Fprintln(w, "       acsharness bench load    [--duration 5s] [--workers 32] [--rounds 7] [--json]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "signer:  signatures per second of each style on one core: acsharness's template signer,")
	fmt.Fprintln(w, "         the bare HMAC floor and the official openapi-util signer, on the same request")
	fmt.Fprintln(w, "gateway: the reference gateway serving valid signed requests over loopback, against a bare")
	fmt.Fprintln(w, "         net/http handler answering the same bytes, the client in a separate process:")
	fmt.Fprintln(w, "         throughput and server CPU per request, as per-round ratios (medians and spread)")
	fmt.Fprintln(w, "load:    the signed attack against vegeta's static attack, same workers and connections, both")
	fmt.Fprintln(w, "         writing results to a file, on a minimal server in a child process, interleaved")
}

func runBench(e *env, args []string) int {
	if len(args) == 0 {
		benchUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "signer":
		return runBenchSigner(e, args[1:])
	case "gateway":
		return runBenchGateway(e, args[1:])
	case "load":
		return runBenchLoad(e, args[1:])
	case loadServerVerb:
		return runBenchLoadServer(e)
	case benchClientCommand: // the client process of bench gateway, not for users
		return load.BenchClientMain(e.ctx, os.Stdin, e.stdout, e.stderr)
	case "-h", "--help", "help":
		benchUsage(e.stdout)
		return exitOK
	}
	return usageError(e, "bench", "unknown benchmark %q%s: use signer, gateway or load", args[0], didYouMean(args[0], []string{"signer", "gateway", "load"}, ""))
}

func runBenchSigner(e *env, args []string) int {
	fs := flag.NewFlagSet("bench signer", flag.ContinueOnError)
	var o load.SignerBenchOptions
	var asJSON bool
	fs.DurationVar(&o.Duration, "duration", time.Second, "time per measurement of each case")
	fs.IntVar(&o.Count, "count", 5, "measurements of each case; the median is reported")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if o.Duration <= 0 || o.Count < 1 {
		return usageError(e, "bench signer", "--duration must be positive and --count at least 1")
	}
	res, err := load.BenchSigners(e.ctx, o)
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench signer: %v\n", err)
		return exitInternal
	}
	return printBench(e, "bench signer", asJSON, res, res.WriteText)
}

// benchClientCommand is the hidden subcommand of bench that runs as bench
// gateway's client process.
const benchClientCommand = "gateway-client"

func runBenchGateway(e *env, args []string) int {
	fs := flag.NewFlagSet("bench gateway", flag.ContinueOnError)
	var o load.GatewayBenchOptions
	var asJSON, noAccessLog bool
	var profile, bareProfile string
	fs.DurationVar(&o.Duration, "duration", 7*time.Second, "attack time of each side, split into the rounds")
	fs.Uint64Var(&o.Workers, "workers", 32, "concurrent requests (fixed workers at max rate, one keep-alive connection each)")
	fs.IntVar(&o.Rounds, "rounds", 7, "alternating rounds; the ratios are the medians of the rounds'")
	fs.BoolVar(&noAccessLog, "no-access-log", false, "serve without the access log (serve's default writes one, JSON; here to "+os.DevNull+")")
	fs.StringVar(&profile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the gateway serving one more run, after the rounds")
	fs.StringVar(&bareProfile, "bare-cpuprofile", "", "write a CPU profile of the bare handler serving a run as long, the base of go tool pprof -diff_base")
	fs.DurationVar(&o.ProfileDuration, "profile-time", 5*time.Second, "with --cpuprofile or --bare-cpuprofile: the length of each profiled run")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if o.Duration <= 0 || o.Workers < 1 || o.Rounds < 1 || o.ProfileDuration <= 0 {
		return usageError(e, "bench gateway", "--duration and --profile-time must be positive, --workers and --rounds at least 1")
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench gateway: the client process: %v\n", err)
		return exitInternal
	}
	o.Client = []string{exe, "bench", benchClientCommand}
	cfg := gateway.Config{}
	o.Server = "reference gateway, no access log"
	if !noAccessLog {
		// The access log as serve writes it by default, to a sink that
		// costs only the write.
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness bench gateway: %v\n", err)
			return exitInternal
		}
		defer null.Close()
		al, err := gateway.NewAccessLog(null, gateway.AccessLogOptions{Format: gateway.AccessLogJSON})
		if err != nil {
			fmt.Fprintf(e.stderr, "acsharness bench gateway: %v\n", err)
			return exitInternal
		}
		defer al.Close() // after the gateway's Close: deferred first
		cfg.AccessLog = al
		o.Server = "reference gateway, serve's default access log (JSON, written off the request path) to " + os.DevNull
	}
	for _, p := range []struct {
		flag, path string
		w          *io.Writer
	}{{"--cpuprofile", profile, &o.CPUProfile}, {"--bare-cpuprofile", bareProfile, &o.BareCPUProfile}} {
		if p.path == "" {
			continue
		}
		f, err := os.Create(p.path)
		if err != nil {
			return usageError(e, "bench gateway", "%s: %v", p.flag, err)
		}
		defer f.Close()
		*p.w = f
	}
	l, err := gateway.StartLocal(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench gateway: %v\n", err)
		return exitInternal
	}
	defer l.Close()
	o.Target = l.URL
	o.Credentials = signature.Credentials{AccessKeyID: gateway.DemoKeyID, AccessKeySecret: gateway.DemoKeySecret}
	res, err := load.BenchGateway(e.ctx, o)
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench gateway: %v\n", err)
		return exitInternal
	}
	return printBench(e, "bench gateway", asJSON, res, res.WriteText)
}

// loadServerVerb runs the minimal server of `bench load` in its child
// process; it is not listed in the usage.
const loadServerVerb = "load-server"

// loadServerArgs are the arguments, and loadServerEnv the additions to
// the environment, of the server process of `bench load`: this program
// again (the tests make their binary run acsharness with them).
var (
	loadServerArgs = []string{"bench", loadServerVerb}
	loadServerEnv  []string
)

func runBenchLoad(e *env, args []string) int {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	var o load.GeneratorBenchOptions
	var asJSON bool
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "attack time of each side in each round")
	fs.Uint64Var(&o.Workers, "workers", 32, "fixed workers of both sides at max rate")
	fs.IntVar(&o.Rounds, "rounds", 7, "interleaved pairs; medians and spread are over them")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	if code := parseFlags(e, fs, args); code >= 0 {
		return code
	}
	if o.Duration <= 0 || o.Workers < 1 || o.Rounds < 1 {
		return usageError(e, "bench load", "--duration must be positive, --workers and --rounds at least 1")
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench load: cannot find this program to start the server process: %v\n", err)
		return exitInternal
	}
	o.Server = func() *exec.Cmd {
		cmd := exec.Command(exe, loadServerArgs...)
		cmd.Env = append(os.Environ(), loadServerEnv...)
		cmd.Stderr = e.stderr
		return cmd
	}
	res, err := load.BenchGenerator(e.ctx, o)
	if err != nil && e.ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "acsharness bench load: interrupted")
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench load: %v\n", err)
		return exitInternal
	}
	return printBench(e, "bench load", asJSON, res, res.WriteText)
}

// runBenchLoadServer is the server process of `bench load`: it serves
// until its stdin closes.
func runBenchLoadServer(e *env) int {
	if err := load.ServeMinimal(e.ctx, os.Stdin, e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "acsharness bench %s: %v\n", loadServerVerb, err)
		return exitInternal
	}
	return exitOK
}

// printBench writes res as one JSON object or as text.
func printBench(e *env, cmd string, asJSON bool, res any, text func(io.Writer) error) int {
	var err error
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(res)
	} else {
		err = text(e.stdout)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness %s: %v\n", cmd, err)
		return exitInternal
	}
	return exitOK
}
