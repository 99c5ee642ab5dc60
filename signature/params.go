package signature

import (
	"slices"
	"strings"
)

// Param is one request parameter: a name and its raw (unencoded) value.
type Param struct {
	Key   string
	Value string
}

// Params is an ordered list of request parameters. Order matters on the
// wire; signing sorts a copy. A name may repeat, as it may in a hostile
// query string.
type Params []Param

// Get returns the value of the first parameter named key, as a Java servlet's
// getParameter would (docs/protocol.md §1.6), and whether there was one. Names are
// case-sensitive (docs/protocol.md §4.2 step 3).
func (p Params) Get(key string) (string, bool) {
	for i := range p {
		if p[i].Key == key {
			return p[i].Value, true
		}
	}
	return "", false
}

// Has reports whether a parameter named key is present, even with an empty
// value.
func (p Params) Has(key string) bool {
	_, ok := p.Get(key)
	return ok
}

// Count returns how many parameters are named key.
func (p Params) Count(key string) int {
	n := 0
	for i := range p {
		if p[i].Key == key {
			n++
		}
	}
	return n
}

// Set gives the first parameter named key the value v and removes any
// others of that name, or appends the pair when there is none.
func (p Params) Set(key, v string) Params {
	for i := range p {
		if p[i].Key == key {
			p[i].Value = v
			return append(p[:i+1], p[i+1:].Without(key)...)
		}
	}
	return append(p, Param{key, v})
}

// Without returns p without the parameters named key, in a new slice.
func (p Params) Without(key string) Params {
	out := make(Params, 0, len(p))
	for _, q := range p {
		if q.Key != key {
			out = append(out, q)
		}
	}
	return out
}

// Clone returns a copy of p that shares no memory with it.
func (p Params) Clone() Params {
	if p == nil {
		return nil
	}
	return slices.Clone(p)
}

// Sorted returns a copy of p sorted by name in byte order (uppercase before
// lowercase, "Key.10" before "Key.2"), keeping the relative order of equal
// names: the canonical order of all three styles (docs/protocol.md §1.4 step 1).
func (p Params) Sorted() Params {
	s := p.Clone()
	sortParams(s)
	return s
}

// sortParams sorts p by name in byte order, stably. Requests carry a few
// dozen parameters at most, where an insertion sort beats the general sort
// and allocates nothing; hostile inputs with many parameters use the
// library sort.
func sortParams(p Params) {
	if len(p) > 48 {
		slices.SortStableFunc(p, func(a, b Param) int { return strings.Compare(a.Key, b.Key) })
		return
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Key < p[j-1].Key; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
