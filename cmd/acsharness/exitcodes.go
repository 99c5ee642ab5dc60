package main

// Exit codes, the same for every subcommand. The README repeats this list.
const (
	// exitOK: the command did what it was asked, and every check passed
	// (skipped conformance scenarios allowed).
	exitOK = 0
	// exitFailed: at least one conformance scenario failed (against a
	// baseline: a case regressed; the baseline's own failures do not
	// count), or a self-test fault went uncaught; or a load run (or merge)
	// in which no request met its expectation: it found the gateway wrong
	// rather than measured it.
	exitFailed = 1
	// exitUsage: an invalid invocation (unknown flag, malformed value,
	// missing credentials) or an invalid profile, scenario or SLO file or
	// conformance baseline.
	// Nothing was sent.
	exitUsage = 2
	// exitSLO: a load run finished but breached at least one SLO or
	// --regression threshold (report merge and report diff too).
	exitSLO = 3
	// exitUnreachable: the target never answered (connection refused, DNS,
	// TLS).
	exitUnreachable = 4
	// exitInternal: acsharness itself failed (an I/O error writing a
	// report, say).
	exitInternal = 5
	// exitInterrupted: the run was stopped by SIGINT or SIGTERM before it
	// finished; the reports written are marked "interrupted" (k6 uses 105
	// for an external abort, and so do we).
	exitInterrupted = 105
)
