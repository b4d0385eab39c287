// Package helm holds the livesell Helm chart (deploy/helm/livesell) and the
// test that renders it with Helm's own template engine and validates every
// manifest against the Kubernetes API schemas with kubeconform, without a
// cluster, the helm binary or the network.
package helm_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
)

var testSecrets = map[string]any{
	"adminToken":    strings.Repeat("a", 40),
	"jwtSecret":     strings.Repeat("j", 40),
	"sandboxSecret": strings.Repeat("s", 40),
	"nodeSecret":    strings.Repeat("n", 40),
}

// manifest is one rendered object.
type manifest struct {
	file string
	raw  []byte
	obj  map[string]any
}

func (m manifest) kind() string { s, _ := m.obj["kind"].(string); return s }

// render renders the chart as `helm template shop deploy/helm/livesell
// --namespace live` would, with values over the chart's defaults.
func render(t *testing.T, values map[string]any) []manifest {
	t.Helper()
	ch, err := loader.Load("livesell")
	if err != nil {
		t.Fatal(err)
	}
	caps := common.DefaultCapabilities.Copy()
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: "shop", Namespace: "live", IsInstall: true, Revision: 1}, caps)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []manifest
	for _, n := range names {
		if !strings.HasSuffix(n, ".yaml") {
			continue
		}
		for _, doc := range strings.Split(files[n], "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s: not YAML: %v\n%s", n, err, doc)
			}
			out = append(out, manifest{file: n, raw: []byte(doc), obj: obj})
		}
	}
	return out
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// newValidator is kubeconform over the schemas writeSchemas makes.
func newValidator(t *testing.T) validator.Validator {
	t.Helper()
	dir := t.TempDir()
	writeSchemas(t, dir)
	v, err := validator.New([]string{filepath.Join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json")}, validator.Opts{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func validate(t *testing.T, v validator.Validator, ms []manifest) {
	t.Helper()
	if len(ms) == 0 {
		t.Fatal("nothing rendered")
	}
	for _, m := range ms {
		r := v.ValidateResource(resource.Resource{Path: m.file, Bytes: m.raw})
		if r.Status != validator.Valid {
			t.Errorf("%s (%s): status %d: %v %v", m.file, m.kind(), r.Status, r.Err, r.ValidationErrors)
		}
	}
}

// at walks obj along path (map keys, or [i] for list items).
func at(obj any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := obj.(map[string]any)
			obj = m[k]
		case int:
			l, _ := obj.([]any)
			if k >= len(l) {
				return nil
			}
			obj = l[k]
		}
	}
	return obj
}

func byKind(ms []manifest) map[string][]manifest {
	out := map[string][]manifest{}
	for _, m := range ms {
		out[m.kind()] = append(out[m.kind()], m)
	}
	return out
}

func kindsOf(ms []manifest) string {
	var ks []string
	for _, m := range ms {
		ks = append(ks, m.kind())
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// TestChartRendersValidManifests renders the chart's variants and checks
// every manifest against the API schemas, then what the deployment relies
// on: host networking with one UDP port, readiness that drains, the
// disruption budget, and the autoscaler on forwarded packets per second.
func TestChartRendersValidManifests(t *testing.T) {
	v := newValidator(t)
	cases := []struct {
		name   string
		values map[string]any
		kinds  string
	}{
		{"defaults (StatefulSet, HPA, bundled backends)", map[string]any{"secrets": testSecrets},
			"HorizontalPodAutoscaler,PodDisruptionBudget,Secret,Service,Service,StatefulSet"},
		{"DaemonSet, no autoscaler", map[string]any{"secrets": testSecrets, "workload": "DaemonSet", "nodeSelector": map[string]any{"livesell.io/media": "true"}},
			"DaemonSet,PodDisruptionBudget,Secret,Service,Service"},
		{"managed backends and an existing secret", map[string]any{
			"existingSecret": "livesell-secrets", "autoscaling": map[string]any{"enabled": false}, "replicas": 3,
			"postgresql": map[string]any{"enabled": false}, "externalDatabase": map[string]any{"url": "postgres://u:p@db:5432/livesell"},
			"redis": map[string]any{"enabled": false}, "externalRedis": map[string]any{"url": "redis://cache:6379/0"},
			"nats": map[string]any{"enabled": false}, "externalNats": map[string]any{"url": "nats://bus:4222"},
			"extraEnv": map[string]any{"LIVESELL_NOTIFY_WEBHOOK_URL": "https://shop.example/hooks"},
			"media":    map[string]any{"iceTCPPort": 0},
		}, "PodDisruptionBudget,Service,Service,StatefulSet"},
		{"edge tier behind a regional release", map[string]any{"secrets": testSecrets,
			"cascade": map[string]any{"upstream": "http://shop-livesell.live.svc:8080", "maxDepth": 2}},
			"HorizontalPodAutoscaler,PodDisruptionBudget,Secret,Service,Service,StatefulSet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms := render(t, c.values)
			if got := kindsOf(ms); got != c.kinds {
				t.Fatalf("kinds %s, want %s", got, c.kinds)
			}
			validate(t, v, ms)
			k := byKind(ms)
			var w manifest
			if len(k["StatefulSet"]) == 1 {
				w = k["StatefulSet"][0]
			} else {
				w = k["DaemonSet"][0]
			}
			pod := at(w.obj, "spec", "template", "spec")
			if at(pod, "hostNetwork") != true || at(pod, "dnsPolicy") != "ClusterFirstWithHostNet" {
				t.Errorf("pod spec without host networking: %v", pod)
			}
			c0 := at(pod, "containers", 0)
			var udp []any
			for _, p := range at(c0, "ports").([]any) {
				if at(p, "protocol") == "UDP" {
					udp = append(udp, at(p, "containerPort"))
				}
			}
			if len(udp) != 1 || udp[0] != 7881 {
				t.Errorf("UDP ports %v, want exactly 7881", udp)
			}
			if at(c0, "readinessProbe", "httpGet", "path") != "/readyz" || at(c0, "lifecycle", "preStop", "sleep", "seconds") != 5 {
				t.Errorf("readiness or drain missing: %v %v", at(c0, "readinessProbe"), at(c0, "lifecycle"))
			}
			grace, _ := at(pod, "terminationGracePeriodSeconds").(int)
			env := map[string]string{}
			for _, e := range at(c0, "env").([]any) {
				val, _ := at(e, "value").(string)
				env[at(e, "name").(string)] = val
			}
			// The pod's whole stop fits in its grace period: the preStop
			// sleep, the drain window, then the shutdown grace.
			drain, err1 := time.ParseDuration(env["LIVESELL_DRAIN_TIMEOUT"])
			shutdown, err2 := time.ParseDuration(env["LIVESELL_SHUTDOWN_GRACE"])
			if err1 != nil || err2 != nil || drain != 20*time.Second {
				t.Errorf("LIVESELL_DRAIN_TIMEOUT %q, LIVESELL_SHUTDOWN_GRACE %q", env["LIVESELL_DRAIN_TIMEOUT"], env["LIVESELL_SHUTDOWN_GRACE"])
			}
			if need := 5*time.Second + drain + shutdown; time.Duration(grace)*time.Second <= need {
				t.Errorf("terminationGracePeriodSeconds %d leaves no time for the drain delay, drain-timeout and shutdown-grace (%v)", grace, need)
			}
			if env["LIVESELL_CASCADE"] != "true" || env["LIVESELL_CASCADE_MAX_DEPTH"] == "" {
				t.Errorf("cascade env: %q, max depth %q", env["LIVESELL_CASCADE"], env["LIVESELL_CASCADE_MAX_DEPTH"])
			}
			if up := c.values["cascade"]; up != nil && env["LIVESELL_CASCADE_UPSTREAM"] != "http://shop-livesell.live.svc:8080" {
				t.Errorf("edge tier without its upstream: %q", env["LIVESELL_CASCADE_UPSTREAM"])
			}
			if sec := k["Secret"]; len(sec) == 1 && at(sec[0].obj, "stringData", "LIVESELL_NODE_SECRET") != strings.Repeat("n", 40) {
				t.Errorf("the Secret has no node secret: %v", at(sec[0].obj, "stringData"))
			}
			for _, name := range []string{"DATABASE_URL", "REDIS_URL", "NATS_URL", "LIVESELL_PUBLIC_URL", "LIVESELL_UDP_PORT"} {
				if _, ok := env[name]; !ok {
					t.Errorf("env has no %s", name)
				}
			}
			if pdb := k["PodDisruptionBudget"]; at(pdb[0].obj, "spec", "maxUnavailable") != 1 {
				t.Errorf("PDB %v", pdb[0].obj)
			}
			if hpa := k["HorizontalPodAutoscaler"]; len(hpa) == 1 {
				if at(hpa[0].obj, "spec", "scaleTargetRef", "kind") != "StatefulSet" ||
					at(hpa[0].obj, "spec", "metrics", 0, "pods", "metric", "name") != "livesell_sfu_packets_out_per_second" {
					t.Errorf("HPA %v", hpa[0].obj)
				}
				if _, ok := at(w.obj, "spec").(map[string]any)["replicas"]; ok {
					t.Error("replicas set while the HPA owns them")
				}
			}
		})
	}
}

// TestValidatorRefusesBrokenManifests: the schemas do catch what a
// template slip produces — a misspelt field, a wrong type, a wrong kind.
func TestValidatorRefusesBrokenManifests(t *testing.T) {
	v := newValidator(t)
	ms := render(t, map[string]any{"secrets": testSecrets})
	var ss manifest
	for _, m := range ms {
		if m.kind() == "StatefulSet" {
			ss = m
		}
	}
	for _, bad := range []struct{ name, from, to string }{
		{"misspelt field", "hostNetwork: true", "hostNetworking: true"},
		{"wrong type", "hostNetwork: true", "hostNetwork: \"yes\""},
		{"unknown kind version", "apiVersion: apps/v1", "apiVersion: apps/v9"},
		{"port not a number", "containerPort: 7881", "containerPort: [7881]"},
		{"deep field of the wrong type", "periodSeconds: 2", "periodSeconds: \"2\""},
		{"unknown probe field", "failureThreshold: 1", "failureThreshhold: 1"},
	} {
		raw := bytes.Replace(ss.raw, []byte(bad.from), []byte(bad.to), 1)
		if bytes.Equal(raw, ss.raw) {
			t.Fatalf("%s: %q not in the manifest", bad.name, bad.from)
		}
		if r := v.ValidateResource(resource.Resource{Path: "bad.yaml", Bytes: raw}); r.Status == validator.Valid {
			t.Errorf("%s: accepted", bad.name)
		}
	}
}

// TestChartRefusesIncompleteValues: without secrets, with an external
// backend and no URL, or with an unknown workload, rendering fails with a
// message that says what to set.
func TestChartRefusesIncompleteValues(t *testing.T) {
	ch, err := loader.Load("livesell")
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range map[string]map[string]any{
		"secrets.adminToken":                        {},
		"externalRedis.url":                         {"secrets": testSecrets, "redis": map[string]any{"enabled": false}},
		"workload must be":                          {"secrets": testSecrets, "workload": "Deployment"},
		"secrets.nodeSecret":                        {"secrets": map[string]any{"adminToken": strings.Repeat("a", 40), "jwtSecret": strings.Repeat("j", 40), "sandboxSecret": strings.Repeat("s", 40)}},
		"terminationGracePeriodSeconds 20 is below": {"secrets": testSecrets, "terminationGracePeriodSeconds": 20},
	} {
		rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "shop", Namespace: "live", IsInstall: true}, common.DefaultCapabilities.Copy())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Render(ch, rv); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// TestChartDeclaresItsBackends: PostgreSQL, Redis and NATS are dependency
// charts with pinned versions and an off switch each, declared and not
// vendored.
func TestChartDeclaresItsBackends(t *testing.T) {
	ch, err := loader.Load("livesell")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*chart.Dependency{}
	for _, d := range ch.Metadata.Dependencies {
		got[d.Name] = d
	}
	for _, name := range []string{"postgresql", "redis", "nats"} {
		d := got[name]
		if d == nil || d.Version == "" || strings.ContainsAny(d.Version, "^~*x><") || d.Condition != name+".enabled" || d.Repository == "" {
			t.Errorf("dependency %s: %+v", name, d)
		}
	}
	if _, err := os.Stat(filepath.Join("livesell", "charts")); err == nil {
		t.Error("livesell/charts/ is vendored; dependencies are fetched by helm dependency build")
	}
	if len(ch.Dependencies()) != 0 {
		t.Error(fmt.Sprintf("%d dependency charts loaded from the repo", len(ch.Dependencies())))
	}
}
