package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/acsharness/acsharness/conformance"
)

// conformanceFiles are the files WriteConformance writes, in order.
var conformanceFiles = []struct {
	name   string
	render func(io.Writer, *conformance.Report) error
}{
	{"report.json", ConformanceJSON},
	{"junit.xml", ConformanceJUnit},
	{"report.md", ConformanceMarkdown},
	{"report.html", ConformanceHTML},
}

// WriteConformance writes report.json, junit.xml, report.md and report.html into
// dir (creating it), each atomically (write to a temp file in dir, then rename),
// and returns the paths written. An error names the file and the cause.
func WriteConformance(dir string, r *conformance.Report) ([]string, error) {
	if r == nil {
		return nil, errNoReport
	}
	return writeRendered(dir, r, conformanceFiles)
}

// writeRendered renders r into each named file of dir (creating it),
// atomically, and returns the paths written.
func writeRendered[R any](dir string, r R, files []struct {
	name   string
	render func(io.Writer, R) error
}) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the report directory %s: %w", dir, err)
	}
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		var buf bytes.Buffer
		if err := f.render(&buf, r); err != nil {
			return written, fmt.Errorf("render %s: %w", path, err)
		}
		if err := writeAtomic(path, buf.Bytes()); err != nil {
			return written, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// writeAtomic replaces path with data: a reader sees the old file or the
// new one, never a part. The temp file is in the same directory, so the
// rename does not cross file systems.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; a report is for anyone to read.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
