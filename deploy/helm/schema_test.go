package helm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The kinds the chart renders, with the Go type the API server decodes each
// into (k8s.io/api, the version in go.mod).
var kinds = []struct {
	apiVersion, kind string
	typ              reflect.Type
}{
	{"apps/v1", "StatefulSet", reflect.TypeOf(appsv1.StatefulSet{})},
	{"apps/v1", "DaemonSet", reflect.TypeOf(appsv1.DaemonSet{})},
	{"v1", "Service", reflect.TypeOf(corev1.Service{})},
	{"v1", "Secret", reflect.TypeOf(corev1.Secret{})},
	{"policy/v1", "PodDisruptionBudget", reflect.TypeOf(policyv1.PodDisruptionBudget{})},
	{"autoscaling/v2", "HorizontalPodAutoscaler", reflect.TypeOf(autoscalingv2.HorizontalPodAutoscaler{})},
}

// writeSchemas writes a strict JSON schema (draft 4, the form kubeconform
// reads) of each kind into dir, named as kubeconform looks them up
// (statefulset-apps-v1.json, service-v1.json …). They are derived from the
// API's Go types, so no schema is downloaded: every field the API knows is
// allowed with its type, any other field is an error.
func writeSchemas(t *testing.T, dir string) {
	t.Helper()
	for _, k := range kinds {
		g := &schemaGen{defs: map[string]any{}}
		root := g.object(k.typ)
		props := root["properties"].(map[string]any)
		props["apiVersion"] = map[string]any{"type": "string", "enum": []string{k.apiVersion}}
		props["kind"] = map[string]any{"type": "string", "enum": []string{k.kind}}
		root["required"] = []string{"apiVersion", "kind", "metadata"}
		root["definitions"] = g.defs
		root["$schema"] = "http://json-schema.org/draft-04/schema#"
		suffix := strings.ToLower(strings.ReplaceAll(k.apiVersion, "/", "-"))
		name := strings.ToLower(k.kind) + "-" + suffix + ".json"
		b, err := json.Marshal(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type schemaGen struct{ defs map[string]any }

var (
	quantityType = reflect.TypeOf(resource.Quantity{})
	intStrType   = reflect.TypeOf(intstr.IntOrString{})
	timeType     = reflect.TypeOf(metav1.Time{})
	microType    = reflect.TypeOf(metav1.MicroTime{})
	durationType = reflect.TypeOf(metav1.Duration{})
	rawType      = reflect.TypeOf(runtime.RawExtension{})
)

func nullable(types ...string) map[string]any {
	return map[string]any{"type": append(types, "null")}
}

// of is the schema of a field of type t.
func (g *schemaGen) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case quantityType:
		return nullable("string", "number")
	case intStrType:
		return nullable("string", "integer")
	case timeType, microType, durationType:
		return nullable("string")
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Bool:
		return nullable("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nullable("integer")
	case reflect.Float32, reflect.Float64:
		return nullable("number")
	case reflect.String:
		return nullable("string")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nullable("string") // []byte is base64 text
		}
		s := nullable("array")
		s["items"] = g.of(t.Elem())
		return s
	case reflect.Map:
		s := nullable("object")
		s["additionalProperties"] = g.of(t.Elem())
		return s
	case reflect.Struct:
		name := strings.ReplaceAll(t.PkgPath(), "/", ".") + "." + t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // a recursive type refers to itself
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/definitions/" + name}
	}
	return map[string]any{}
}

// object is the schema of struct t: its JSON fields, inline ones merged,
// and nothing else.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.fields(t, props)
	s := nullable("object")
	s["properties"] = props
	s["additionalProperties"] = false
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
	}
}
