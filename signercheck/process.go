package signercheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Process is a signer running as a child process, spoken to one line at a
// time.
type Process struct {
	command string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan []byte // reply lines, closed when stdout ends
	readErr error       // why stdout ended, read after lines is closed
	stderr  *tail
	exited  chan struct{}
	waitErr error
	timer   *time.Timer
	answers int
}

// tail keeps the last bytes written to it: the end of a signer's standard
// error, for messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 2048

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// credentialEnv matches the environment variables that carry credentials:
// the official SDKs' (ALIBABA_CLOUD_ACCESS_KEY_SECRET and the others) and
// any other named like a secret or a token.
var credentialEnv = regexp.MustCompile(`(?i)^(ALIBABA_CLOUD_|ALICLOUD_|ACSHARNESS_.*(SECRET|TOKEN|KEY))|SECRET|TOKEN|PASSWORD`)

// ChildEnv returns environ without the variables that carry credentials,
// plus extra: a signer signs with the test secrets of the cases and is
// never handed the user's own credentials.
func ChildEnv(environ, extra []string) []string {
	out := make([]string, 0, len(environ)+len(extra))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !credentialEnv.MatchString(name) {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// Start starts argv[0] with the arguments argv[1:] and the environment of
// this process, less its credentials (see ChildEnv), plus env. It returns a
// *StartError when the command cannot be started.
func Start(ctx context.Context, argv, env []string) (*Process, error) {
	command := strings.Join(argv, " ")
	if len(argv) == 0 || argv[0] == "" {
		return nil, &StartError{Command: "(none)", Err: errors.New("no command: pass --exec 'CMD ARGS'")}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = ChildEnv(os.Environ(), env)
	cmd.WaitDelay = 2 * time.Second
	p := &Process{command: command, cmd: cmd, lines: make(chan []byte, 1), stderr: &tail{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, &StartError{Command: command, Err: err}
	}
	// Our own pipe, not StdoutPipe: Wait closes that one when the signer
	// exits, racing the read of its last lines.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, &StartError{Command: command, Err: err}
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		return nil, &StartError{Command: command, Err: err}
	}
	p.stdin = stdin
	go p.read(stdout)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	p.timer = time.NewTimer(time.Hour)
	p.timer.Stop()
	return p, nil
}

// read sends every line of stdout to p.lines, until it ends.
func (p *Process) read(stdout io.ReadCloser) {
	defer stdout.Close()
	defer close(p.lines)
	br := bufio.NewReaderSize(stdout, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			p.lines <- line
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.readErr = err
			}
			return
		}
	}
}

// readLine reads one line of at most maxLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return line[:maxLine], fmt.Errorf("a reply line longer than %d bytes", maxLine)
		}
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}

// Call writes one request line and returns the reply line, waiting at most
// timeout. An error is a *StartError when the signer died before its first
// answer and a *ProtocolError after it.
func (p *Process) Call(caseID string, request []byte, timeout time.Duration) ([]byte, error) {
	if _, err := p.stdin.Write(append(request, '\n')); err != nil {
		// A signer that wrote a line and exited without reading (a command
		// that is no signer) answered: what it wrote tells the user more
		// than the broken pipe, which of the two comes first being luck.
		t := time.NewTimer(exitWait)
		defer t.Stop()
		select {
		case line, ok := <-p.lines:
			if ok {
				p.answers++
				return line, nil
			}
		case <-t.C:
		}
		return nil, p.broken(caseID, "the signer stopped reading its standard input ("+err.Error()+")", exitWait)
	}
	p.timer.Reset(timeout)
	select {
	case line, ok := <-p.lines:
		p.timer.Stop() // Go 1.23 timers: no stale value to drain
		if !ok {
			reason := "the signer closed its standard output"
			if p.readErr != nil {
				reason = p.readErr.Error()
			}
			return nil, p.broken(caseID, reason, exitWait)
		}
		p.answers++
		return line, nil
	case <-p.timer.C:
		return nil, p.broken(caseID, fmt.Sprintf("no reply within %v (a reply is one line ending in a newline; flush the output after each)", timeout), 0)
	}
}

// exitWait bounds the wait for a signer whose output has closed to exit,
// so that its exit status can be told: a closed output almost always means
// an exit, but a loaded machine may take a while to reap it.
const exitWait = 5 * time.Second

// broken describes how the signer stopped keeping the protocol, with its
// exit status when it exits within wait.
func (p *Process) broken(caseID, reason string, wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.exited:
		reason += fmt.Sprintf("; it exited (%v) after %d replies", exitStatus(p.waitErr), p.answers)
	case <-t.C:
	}
	if p.answers == 0 && isExited(p.exited) {
		return &StartError{Command: p.command, Err: errors.New(reason), Stderr: p.stderr.String()}
	}
	return &ProtocolError{CaseID: caseID, Reason: reason, Stderr: p.stderr.String()}
}

func isExited(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// Close closes the signer's standard input, which tells it to exit, and
// waits for it for a moment before killing it.
func (p *Process) Close() error {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return nil
}

// Stderr returns the end of what the signer wrote on its standard error.
func (p *Process) Stderr() string { return p.stderr.String() }
