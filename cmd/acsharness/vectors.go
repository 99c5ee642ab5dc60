package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/acsharness/acsharness/corpus"
	"github.com/acsharness/acsharness/signature"
)

func vectorsUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: acsharness vectors export DIR [--random 100] [--seed 1] [--style rpc,roa,v3]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Writes every golden vector and N random hard cases per style into DIR, one folder per case:")
	fmt.Fprintln(w, "the request as HTTP text, its inputs as JSON, and each step's expected output as its own file")
	fmt.Fprintln(w, "(DIR/README.md says what each file is).")
}

// runVectors dispatches `acsharness vectors <verb>`.
func runVectors(e *env, args []string) int {
	if len(args) == 0 {
		vectorsUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "export":
		return runVectorsExport(e, args[1:])
	case "-h", "--help", "help":
		vectorsUsage(e.stdout)
		return exitOK
	}
	return usageError(e, "vectors", "unknown verb %q: use export", args[0])
}

func runVectorsExport(e *env, args []string) int {
	fs := flag.NewFlagSet("vectors export", flag.ContinueOnError)
	var (
		o      corpus.Options
		styles listFlag
	)
	fs.IntVar(&o.Random, "random", 100, "random hard cases per style")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the random cases (the same seed gives the same cases)")
	fs.Var(&styles, "style", "only these styles (rpc, roa, v3; comma-separated or repeated)")
	dirs, code := parseWithOperands(e, fs, args)
	if code >= 0 {
		return code
	}
	if len(dirs) != 1 {
		return usageError(e, "vectors export", "give one folder to export into, e.g. acsharness vectors export out/vectors")
	}
	if o.Random < 0 {
		return usageError(e, "vectors export", "--random %d: give a count of 0 or more", o.Random)
	}
	var err error
	if o.Styles, err = parseStyles(styles); err != nil {
		return usageError(e, "vectors export", "--style: %v", err)
	}
	if err := corpus.PrepareDir(dirs[0]); err != nil {
		return usageError(e, "vectors export", "%v", err)
	}
	cases, err := corpus.Build(o)
	if err != nil {
		fmt.Fprintf(e.stderr, "acsharness vectors export: %v\n", err)
		return exitInternal
	}
	idx := corpus.Index{Generator: "acsharness " + version, Seed: o.Seed, RandomPerStyle: o.Random}
	if err := corpus.Export(dirs[0], cases, idx); err != nil {
		fmt.Fprintf(e.stderr, "acsharness vectors export: %v\n", err)
		return exitInternal
	}
	fmt.Fprintf(e.stdout, "wrote %d cases (%d golden, %d random per style, seed %d) to %s; %s/README.md says what each file is\n",
		len(cases), len(cases)-o.Random*len(stylesOrAll(o.Styles)), o.Random, o.Seed, dirs[0], dirs[0])
	return exitOK
}

// parseWithOperands parses flags that may come before or after the
// operands (`export DIR --seed 2` as well as `export --seed 2 DIR`): the
// flag package stops at the first operand, so parse around each one. It
// returns the operands, and the exit code to stop with or -1.
func parseWithOperands(e *env, fs *flag.FlagSet, args []string) ([]string, int) {
	fs.SetOutput(e.stderr)
	var operands []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		if fs.NArg() == 0 {
			return operands, -1
		}
		operands, rest = append(operands, fs.Arg(0)), fs.Args()[1:]
	}
}

// parseStyles parses --style values; none means every style.
func parseStyles(names []string) ([]signature.Style, error) {
	var out []signature.Style
	for _, n := range names {
		st, err := signature.ParseStyle(n)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func stylesOrAll(s []signature.Style) []signature.Style {
	if len(s) == 0 {
		return signature.Styles
	}
	return s
}
