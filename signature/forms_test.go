package signature

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A form table entry is only worth having where official clients disagree:
// every aspect lists at least two forms, each with a client and a source.
func TestFormsDisagree(t *testing.T) {
	seen := map[string]int{}
	for _, f := range Forms {
		seen[f.Aspect]++
		assert.NotEmpty(t, f.Clients, "%s %q names no client", f.Aspect, f.Variant)
		assert.NotEmpty(t, f.Source, "%s %q names no source", f.Aspect, f.Variant)
		assert.Contains(t, Styles, f.Style, "%s: unknown style", f.Aspect)
	}
	for aspect, n := range seen {
		assert.Len(t, FormsOf(aspect), n)
		assert.GreaterOrEqual(t, n, 2, "aspect %s has one form: nothing to accept beside it", aspect)
	}
}
