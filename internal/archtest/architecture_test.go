package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const architectureDoc = "../../docs/architecture.md"

// step is one function of a path in docs/architecture.md, written
// `dir: Type.method` (a method of Type declared in a file of dir) or
// `dir: function`.
type step struct{ dir, recv, name string }

var stepRe = regexp.MustCompile("`([a-z0-9_/]+): ([A-Za-z_][A-Za-z0-9_]*)(?:\\.([A-Za-z_][A-Za-z0-9_]*))?`")

// paths returns the steps of the doc's sections "The path of …", by section.
func paths(t *testing.T) map[string][]step {
	t.Helper()
	raw, err := os.ReadFile(architectureDoc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]step{}
	section := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			section = ""
			if h := strings.TrimLeft(line, "# "); strings.HasPrefix(h, "The path of") {
				section = h
			}
			continue
		}
		if section == "" {
			continue
		}
		for _, m := range stepRe.FindAllStringSubmatch(line, -1) {
			s := step{dir: m[1], name: m[2]}
			if m[3] != "" {
				s.recv, s.name = m[2], m[3]
			}
			out[section] = append(out[section], s)
		}
	}
	return out
}

// declared reports whether s is declared in a non-test file of its
// directory.
func declared(t *testing.T, s step) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("../..", s.dir, "*.go"))
	if err != nil || len(files) == 0 {
		return false
	}
	var re *regexp.Regexp
	if s.recv != "" {
		re = regexp.MustCompile(`(?m)^func \(\w+ \*?` + regexp.QuoteMeta(s.recv) + `(\[[^\]]*\])?\) ` + regexp.QuoteMeta(s.name) + `[\[(]`)
	} else {
		re = regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(s.name) + `[\[(]`)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if re.Match(src) {
			return true
		}
	}
	return false
}

// TestArchitecturePathsExist keeps docs/architecture.md true: the paths of
// a packet, a danmaku and an order name only functions that exist, where
// the doc says they are.
func TestArchitecturePathsExist(t *testing.T) {
	ps := paths(t)
	for _, want := range []string{"packet", "danmaku", "order"} {
		found := false
		for section, steps := range ps {
			if strings.Contains(section, want) {
				found = true
				if len(steps) < 5 {
					t.Errorf("%q names only %d functions", section, len(steps))
				}
			}
		}
		if !found {
			t.Errorf("docs/architecture.md has no section \"The path of a %s\"", want)
		}
	}
	for section, steps := range ps {
		for _, s := range steps {
			if !declared(t, s) {
				name := s.name
				if s.recv != "" {
					name = s.recv + "." + s.name
				}
				t.Errorf("%s: %s is not declared in %s", section, name, s.dir)
			}
		}
	}
}

// TestArchitectureStepsAreChecked proves the checker refuses a function
// that does not exist.
func TestArchitectureStepsAreChecked(t *testing.T) {
	for _, s := range []step{{"sfu", "layer", "noSuchMethod"}, {"commerce/api", "", "noSuchFunction"}, {"no/such/dir", "", "x"}} {
		if declared(t, s) {
			t.Errorf("%+v reported as declared", s)
		}
	}
	if !declared(t, step{"internal/roomid", "", "Valid"}) || !declared(t, step{"internal/auth", "Authenticator", "Check"}) {
		t.Error("existing functions reported missing")
	}
}
