package moderation

import "sort"

// Matcher finds any of a fixed set of byte patterns in a text in one pass
// (Aho–Corasick). Patterns and texts are compared byte for byte; normalize
// both first. A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	nodes    []acNode
	patterns []string
}

type acNode struct {
	// edges are sorted by label.
	labels []byte
	next   []int32
	fail   int32
	// term is the pattern that ends exactly here, or -1.
	term int32
	// dict is the nearest node on the fail chain (not this one) where a
	// pattern ends, or -1.
	dict int32
}

func (n *acNode) child(c byte) int32 {
	i := sort.Search(len(n.labels), func(i int) bool { return n.labels[i] >= c })
	if i < len(n.labels) && n.labels[i] == c {
		return n.next[i]
	}
	return -1
}

// NewMatcher builds a matcher of patterns; empty patterns are ignored, and
// of duplicates the first is reported.
func NewMatcher(patterns []string) *Matcher {
	m := &Matcher{nodes: []acNode{{term: -1, dict: -1}}, patterns: patterns}
	for pi, p := range patterns {
		if p == "" {
			continue
		}
		cur := int32(0)
		for i := 0; i < len(p); i++ {
			c := p[i]
			nx := m.nodes[cur].child(c)
			if nx < 0 {
				nx = int32(len(m.nodes))
				m.nodes = append(m.nodes, acNode{term: -1, dict: -1})
				n := &m.nodes[cur]
				at := sort.Search(len(n.labels), func(i int) bool { return n.labels[i] >= c })
				n.labels = append(n.labels, 0)
				copy(n.labels[at+1:], n.labels[at:])
				n.labels[at] = c
				n.next = append(n.next, 0)
				copy(n.next[at+1:], n.next[at:])
				n.next[at] = nx
			}
			cur = nx
		}
		if m.nodes[cur].term < 0 {
			m.nodes[cur].term = int32(pi)
		}
	}
	// Breadth-first: fail links, then dictionary links along them.
	queue := make([]int32, 0, len(m.nodes))
	queue = append(queue, m.nodes[0].next...)
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for i, c := range m.nodes[u].labels {
			v := m.nodes[u].next[i]
			f := m.nodes[u].fail
			if u == 0 {
				f = -1
			}
			m.nodes[v].fail = 0
			for f >= 0 {
				if w := m.nodes[f].child(c); w >= 0 {
					m.nodes[v].fail = w
					break
				}
				if f == 0 {
					break
				}
				f = m.nodes[f].fail
			}
			queue = append(queue, v)
		}
		if u != 0 {
			f := m.nodes[u].fail
			if m.nodes[f].term >= 0 {
				m.nodes[u].dict = f
			} else {
				m.nodes[u].dict = m.nodes[f].dict
			}
		}
	}
	return m
}

// Find returns the index of a pattern that occurs in text (the first to
// end) and true, or -1 and false.
func (m *Matcher) Find(text []byte) (int, bool) {
	if m == nil || len(m.nodes) == 1 {
		return -1, false
	}
	cur := int32(0)
	for i := 0; i < len(text); i++ {
		cur = m.step(cur, text[i])
		if t := m.nodes[cur].term; t >= 0 {
			return int(t), true
		}
		if d := m.nodes[cur].dict; d >= 0 {
			return int(m.nodes[d].term), true
		}
	}
	return -1, false
}

// FindAll returns every pattern occurrence in text as (pattern index, end
// offset exclusive), in order of end offset.
func (m *Matcher) FindAll(text []byte) (hits [][2]int) {
	if m == nil {
		return nil
	}
	cur := int32(0)
	for i := 0; i < len(text); i++ {
		cur = m.step(cur, text[i])
		s := cur
		if m.nodes[s].term < 0 {
			s = m.nodes[s].dict
		}
		for s > 0 {
			hits = append(hits, [2]int{int(m.nodes[s].term), i + 1})
			s = m.nodes[s].dict
		}
	}
	return hits
}

func (m *Matcher) step(cur int32, c byte) int32 {
	for {
		if nx := m.nodes[cur].child(c); nx >= 0 {
			return nx
		}
		if cur == 0 {
			return 0
		}
		cur = m.nodes[cur].fail
	}
}

// Pattern returns pattern i.
func (m *Matcher) Pattern(i int) string { return m.patterns[i] }
