package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/livesell/livesell"

// pkg is one package as go list reports it.
type pkg struct {
	path    string
	imports []string // direct, non-test
	deps    []string // transitive, non-test
}

// rule forbids packages matched by from to depend on packages matched by to.
type rule struct {
	name   string
	from   func(path string) bool
	direct bool // only direct imports count
	to     func(dep string) bool
}

func under(prefix string) func(string) bool {
	return func(p string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
}

func any(fs ...func(string) bool) func(string) bool {
	return func(p string) bool {
		for _, f := range fs {
			if f(p) {
				return true
			}
		}
		return false
	}
}

func except(f func(string) bool, not ...string) func(string) bool {
	return func(p string) bool {
		for _, n := range not {
			if p == n {
				return false
			}
		}
		return f(p)
	}
}

// rules are the module's import rules:
//   - the media plane knows nothing of HTTP serving, rooms' business,
//     commerce or web pages (sfu/bench is a WHIP client: it may use
//     net/http's client, never a server framework);
//   - commerce knows nothing of RTP, media or signaling;
//   - only cmd imports the composer (internal/server).
var rules = []rule{
	{
		name: "sfu imports nothing of signaling, commerce, web or the composer",
		from: under(module + "/sfu"),
		to: any(under(module+"/signaling"), under(module+"/commerce"), under(module+"/web"), under(module+"/internal/server"),
			under("github.com/gofiber/fiber"), under("github.com/valyala/fasthttp"), under("net/http/httptest")),
	},
	{
		name:   "sfu (but its WHIP client benchmark) does not use net/http",
		from:   except(under(module+"/sfu"), module+"/sfu/bench"),
		direct: true, // Pion's own packages pull net/http in for STUN/TURN helpers
		to:     under("net/http"),
	},
	{
		name: "commerce imports nothing of sfu, signaling or pion",
		from: under(module + "/commerce"),
		to:   any(under(module+"/sfu"), under(module+"/signaling"), under("github.com/pion")),
	},
	{
		name: "only cmd (and the composer itself) imports the composer",
		from: func(p string) bool {
			return !under(module+"/internal/server")(p) && !under(module+"/cmd")(p) && p != module+"/internal/testnode"
		},
		direct: true,
		to:     under(module + "/internal/server"),
	},
	{
		// internal/testnode runs a whole node for tests and load tools;
		// only test files (and cmd's tools) may import it.
		name:   "only tests and cmd import internal/testnode",
		from:   func(p string) bool { return !under(module + "/cmd")(p) },
		direct: true,
		to:     under(module + "/internal/testnode"),
	},
	{
		name: "interaction reads rooms through its own small interface, not signaling/room or signaling",
		from: under(module + "/signaling/interaction"),
		to:   any(under(module+"/signaling/room"), func(d string) bool { return d == module+"/signaling" }),
	},
	{
		name: "signaling/interaction does not import pion (transports adapt data channels outside it)",
		from: except(under(module+"/signaling/interaction"), module+"/signaling/interaction/datachannel"),
		to:   under("github.com/pion"),
	},
}

// violations lists "package → dependency (rule)" for every broken rule.
func violations(pkgs []pkg, rules []rule) []string {
	var out []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !r.from(p.path) {
				continue
			}
			deps := p.deps
			if r.direct {
				deps = p.imports
			}
			for _, d := range deps {
				if r.to(d) {
					out = append(out, p.path+" → "+d+" ("+r.name+")")
				}
			}
		}
	}
	return out
}

// listModule runs go list over the whole module: each package with its
// direct imports and its transitive dependencies (the -deps closure).
func listModule(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("go list line %q", sc.Text())
		}
		pkgs = append(pkgs, pkg{path: f[0], imports: strings.Fields(f[1]), deps: strings.Fields(f[2])})
	}
	return pkgs
}

// TestImportRules fails when a package depends on what its rule forbids.
func TestImportRules(t *testing.T) {
	pkgs := listModule(t)
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, want := range []string{module + "/sfu", module + "/commerce", module + "/signaling", module + "/internal/server"} {
		found := false
		for _, p := range pkgs {
			found = found || p.path == want
		}
		if !found {
			t.Fatalf("go list did not report %s", want)
		}
	}
	for _, v := range violations(pkgs, rules) {
		t.Error(v)
	}
}

// TestImportRulesCatchBackEdges checks the rules themselves against made-up
// back edges, so that a rule that matches nothing is noticed.
func TestImportRulesCatchBackEdges(t *testing.T) {
	bad := []pkg{
		{path: module + "/sfu", deps: []string{module + "/signaling/room"}},
		{path: module + "/sfu/synth", deps: []string{"github.com/gofiber/fiber/v2"}},
		{path: module + "/sfu", imports: []string{"net/http"}},
		{path: module + "/commerce/api", deps: []string{"github.com/pion/webrtc/v4"}},
		{path: module + "/commerce/order", deps: []string{module + "/sfu"}},
		{path: module + "/commerce/api", deps: []string{module + "/signaling/room"}},
		{path: module + "/web", imports: []string{module + "/internal/server"}},
		{path: module + "/signaling", imports: []string{module + "/internal/testnode"}},
		{path: module + "/signaling/interaction", deps: []string{"github.com/pion/webrtc/v4"}},
		{path: module + "/signaling/interaction/queue", deps: []string{module + "/signaling/room"}},
	}
	for _, p := range bad {
		if v := violations([]pkg{p}, rules); len(v) == 0 {
			t.Errorf("%s → %v%v is not caught", p.path, p.deps, p.imports)
		}
	}
	good := []pkg{
		{path: module + "/sfu/bench", imports: []string{"net/http"}},
		{path: module + "/sfu", deps: []string{"net/http"}, imports: []string{"github.com/pion/webrtc/v4"}},
		{path: module + "/internal/testnode", imports: []string{module + "/internal/server"}},
		{path: module + "/cmd/livesell", imports: []string{module + "/internal/server"}},
		{path: module + "/signaling", deps: []string{module + "/sfu", "github.com/pion/webrtc/v4"}},
		{path: module + "/internal/server", deps: []string{module + "/commerce", module + "/sfu"}},
	}
	for _, p := range good {
		if v := violations([]pkg{p}, rules); len(v) > 0 {
			t.Errorf("allowed edge refused: %v", v)
		}
	}
}
