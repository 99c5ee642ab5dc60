package signature

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParams(t *testing.T) {
	t.Parallel()
	p := Params{{"a", "1"}, {"B", ""}, {"a", "2"}}
	v, ok := p.Get("a")
	assert.True(t, ok)
	assert.Equal(t, "1", v, "Get returns the first value, as a servlet's getParameter does")
	assert.True(t, p.Has("B"), "an empty value is present")
	assert.False(t, p.Has("b"), "names are case-sensitive")
	assert.Equal(t, 2, p.Count("a"))
	assert.Equal(t, Params{{"B", ""}}, p.Without("a"))
	assert.Equal(t, Params{{"a", "x"}, {"B", ""}}, p.Clone().Set("a", "x"), "Set replaces the first and drops the others")
	assert.Equal(t, Params{{"a", "1"}, {"B", ""}, {"a", "2"}, {"c", "3"}}, p.Clone().Set("c", "3"))
	assert.Equal(t, Params{{"a", "1"}, {"B", ""}, {"a", "2"}}, p, "Set on a clone leaves the original alone")
}

func TestSortedByteOrder(t *testing.T) {
	t.Parallel()
	// docs/protocol.md §1.4 step 1: byte order, uppercase first, Key.10 before Key.2,
	// and equal names keep their order.
	in := Params{{"instanceId", "x"}, {"Key.2", ""}, {"Key.10", ""}, {"InstanceId", "y"}, {"Format", ""}, {"dup", "1"}, {"dup", "0"}}
	want := Params{{"Format", ""}, {"InstanceId", "y"}, {"Key.10", ""}, {"Key.2", ""}, {"dup", "1"}, {"dup", "0"}, {"instanceId", "x"}}
	assert.Equal(t, want, in.Sorted())

	many := make(Params, 0, 100)
	for i := 99; i >= 0; i-- {
		many = append(many, Param{Key: string(rune('A'+i%26)) + string(rune('a'+i/26)), Value: ""})
	}
	s := many.Sorted()
	for i := 1; i < len(s); i++ {
		assert.LessOrEqual(t, s[i-1].Key, s[i].Key, "the large-input sort must order too")
	}
}
