package main

import (
	"github.com/acsharness/acsharness/gateway"
	"github.com/acsharness/acsharness/record"
	"github.com/acsharness/acsharness/signature"
)

// startRecording hooks `serve --record DIR` into the server: every request
// is recorded through a wrapper of the gateway's handler, with the
// gateway's keys (to check signatures), clock and skew window. It returns
// the function that closes the recording; with no dir it does nothing.
func startRecording(dir string, g *gateway.Gateway, opts *gateway.ServeOptions) (func() error, error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	cfg := g.Config()
	secrets := map[string]signature.Secret{}
	for _, k := range cfg.Keys {
		secrets[k.ID] = k.Secret
	}
	rec, err := record.New(record.Options{
		Dir:    dir,
		Secret: func(id string) (signature.Secret, bool) { s, ok := secrets[id]; return s, ok },
		Now:    cfg.Now, Skew: cfg.Skew, MaxBody: cfg.MaxBodyBytes, Tool: "acsharness " + version,
	})
	if err != nil {
		return nil, err
	}
	opts.Wrap = rec.Wrap
	return rec.Close, nil
}
