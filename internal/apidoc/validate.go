package apidoc

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ValidationError lists every problem Validate found, one per line.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("apidoc: %d problem(s) in the OpenAPI document:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Unwrap makes a ValidationError match ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

var (
	statusKey   = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	templateVar = regexp.MustCompile(`\{([^{}/]*)\}`)
)

var pathItemKeys = map[string]bool{"parameters": true, "summary": true, "description": true, "servers": true, "$ref": true}

// Validate checks the document's structure: info has a title and a
// version; every $ref is local and resolves; every path starts with "/" and
// its {name} templates match the path parameters declared for each
// operation; every operation has responses with valid status keys and
// descriptions; parameters name a location; request bodies have content;
// security requirements name declared schemes; tags and operationIds are
// consistent. It returns a *ValidationError listing every problem.
func (d *Document) Validate() error {
	v := validator{d: d}
	v.info()
	v.refs("#", d.root, 0)
	v.paths()
	if len(v.problems) == 0 {
		return nil
	}
	sort.Strings(v.problems)
	return &ValidationError{Problems: v.problems}
}

type validator struct {
	d        *Document
	problems []string
	opIDs    map[string]string
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) info() {
	info, _ := v.d.root["info"].(map[string]any)
	if info == nil {
		v.addf("info: missing")
		return
	}
	if s, _ := info["title"].(string); s == "" {
		v.addf("info.title: missing")
	}
	if s, _ := info["version"].(string); s == "" {
		v.addf("info.version: missing (a string)")
	}
}

// maxDepth bounds the walk of nested objects and of $ref chains.
const maxDepth = 64

// refs checks that every $ref in the tree is local and resolves.
func (v *validator) refs(at string, node any, depth int) {
	if depth > maxDepth {
		v.addf("%s: nested deeper than %d", at, maxDepth)
		return
	}
	switch n := node.(type) {
	case map[string]any:
		if r, ok := n["$ref"]; ok {
			s, _ := r.(string)
			if _, err := v.d.pointer(s); err != nil {
				v.addf("%s: $ref %q: %v", at, s, err)
			}
		}
		for k, c := range n {
			v.refs(at+"/"+escapePointer(k), c, depth+1)
		}
	case []any:
		for i, c := range n {
			v.refs(at+"/"+strconv.Itoa(i), c, depth+1)
		}
	}
}

// pointer resolves a local JSON reference ("#/components/schemas/Error").
func (d *Document) pointer(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, errors.New("not a local reference (#/…)")
	}
	var node any = d.root
	for _, raw := range strings.Split(ref[2:], "/") {
		key := strings.ReplaceAll(strings.ReplaceAll(raw, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not inside an object", key)
		}
		if node, ok = m[key]; !ok {
			return nil, fmt.Errorf("no %q", key)
		}
	}
	return node, nil
}

// resolve follows $ref chains to the object they name (nil if broken,
// which refs reports).
func (d *Document) resolve(node any) map[string]any {
	for i := 0; i < maxDepth; i++ {
		m, _ := node.(map[string]any)
		r, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var err error
		if node, err = d.pointer(r); err != nil {
			return nil
		}
	}
	return nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func (v *validator) paths() {
	paths, _ := v.d.root["paths"].(map[string]any)
	tags := v.declaredTags()
	schemes := v.schemes()
	v.opIDs = map[string]string{}
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		item, ok := paths[p].(map[string]any)
		if !ok {
			v.addf("paths[%s]: not an object", p)
			continue
		}
		vars, ok := v.template(p)
		if !ok {
			continue
		}
		shared := v.params(p, "", item["parameters"])
		nops := 0
		for k, val := range item {
			if pathItemKeys[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			method := strings.ToLower(k)
			if !isMethod(method) || method != k {
				v.addf("paths[%s]: unknown field %q", p, k)
				continue
			}
			nops++
			v.operation(Operation{Method: strings.ToUpper(k), Path: p}, val, vars, shared, tags, schemes)
		}
		if nops == 0 {
			v.addf("paths[%s]: no operations", p)
		}
	}
}

func isMethod(m string) bool {
	for _, x := range Methods {
		if x == m {
			return true
		}
	}
	return false
}

// template checks a path's shape and returns its {name} variables.
func (v *validator) template(p string) (map[string]bool, bool) {
	if !strings.HasPrefix(p, "/") {
		v.addf("paths[%s]: does not start with /", p)
		return nil, false
	}
	vars := map[string]bool{}
	for _, m := range templateVar.FindAllStringSubmatch(p, -1) {
		if m[1] == "" {
			v.addf("paths[%s]: empty {} template", p)
			return nil, false
		}
		if vars[m[1]] {
			v.addf("paths[%s]: {%s} appears twice", p, m[1])
			return nil, false
		}
		vars[m[1]] = true
	}
	if rest := templateVar.ReplaceAllString(p, ""); strings.ContainsAny(rest, "{}") {
		v.addf("paths[%s]: unbalanced braces", p)
		return nil, false
	}
	return vars, true
}

// param is a parameter's identity.
type param struct{ name, in string }

// params checks a parameters list and returns the parameters it declares.
func (v *validator) params(p, method string, list any) map[param]bool {
	at := "paths[" + p + "]"
	if method != "" {
		at += "." + method
	}
	out := map[param]bool{}
	if list == nil {
		return out
	}
	items, ok := list.([]any)
	if !ok {
		v.addf("%s.parameters: not a list", at)
		return out
	}
	for i, raw := range items {
		prm := v.d.resolve(raw)
		if prm == nil {
			continue // a broken $ref, reported by refs
		}
		name, _ := prm["name"].(string)
		in, _ := prm["in"].(string)
		switch {
		case name == "":
			v.addf("%s.parameters[%d]: no name", at, i)
			continue
		case in != "query" && in != "header" && in != "path" && in != "cookie":
			v.addf("%s.parameters[%d] %s: in is %q, not query, header, path or cookie", at, i, name, in)
			continue
		}
		if in == "path" {
			if req, _ := prm["required"].(bool); !req {
				v.addf("%s.parameters[%d] %s: a path parameter must be required: true", at, i, name)
			}
		}
		_, hasSchema := prm["schema"]
		_, hasContent := prm["content"]
		if !hasSchema && !hasContent {
			v.addf("%s.parameters[%d] %s: no schema", at, i, name)
		}
		k := param{name, in}
		if out[k] {
			v.addf("%s.parameters: %s in %s declared twice", at, name, in)
		}
		out[k] = true
	}
	return out
}

func (v *validator) operation(op Operation, raw any, vars map[string]bool, shared map[param]bool, tags, schemes map[string]bool) {
	at := "paths[" + op.Path + "]." + strings.ToLower(op.Method)
	o, ok := raw.(map[string]any)
	if !ok {
		v.addf("%s: not an object", at)
		return
	}
	// Path parameters: the path item's, overridden by the operation's.
	declared := map[string]bool{}
	for k := range shared {
		if k.in == "path" {
			declared[k.name] = true
		}
	}
	for k := range v.params(op.Path, strings.ToLower(op.Method), o["parameters"]) {
		if k.in == "path" {
			declared[k.name] = true
		}
	}
	for name := range vars {
		if !declared[name] {
			v.addf("%s: path parameter {%s} is not declared", at, name)
		}
	}
	for name := range declared {
		if !vars[name] {
			v.addf("%s: path parameter %s is not in the path", at, name)
		}
	}

	rs, _ := o["responses"].(map[string]any)
	if len(rs) == 0 {
		v.addf("%s: no responses", at)
	}
	for code, r := range rs {
		if !statusKey.MatchString(code) {
			v.addf("%s.responses[%s]: not a status code, nXX or default", at, code)
		}
		m, _ := r.(map[string]any)
		if _, isRef := m["$ref"]; isRef {
			continue
		}
		if desc, _ := m["description"].(string); desc == "" {
			v.addf("%s.responses[%s]: no description", at, code)
		}
	}

	if rb, ok := o["requestBody"]; ok {
		if body := v.d.resolve(rb); body != nil {
			if c, _ := body["content"].(map[string]any); len(c) == 0 {
				v.addf("%s.requestBody: no content", at)
			}
		}
	}

	if sec, ok := o["security"]; ok {
		list, isList := sec.([]any)
		if !isList {
			v.addf("%s.security: not a list", at)
		}
		for _, alt := range list {
			m, isMap := alt.(map[string]any)
			if !isMap {
				v.addf("%s.security: an alternative is not an object", at)
				continue
			}
			for name := range m {
				if !schemes[name] {
					v.addf("%s.security: scheme %q is not in components.securitySchemes", at, name)
				}
			}
		}
	}

	if ts, ok := o["tags"].([]any); ok && tags != nil {
		for _, t := range ts {
			if s, _ := t.(string); !tags[s] {
				v.addf("%s.tags: %v is not declared in the top-level tags", at, t)
			}
		}
	}

	if id, ok := o["operationId"].(string); ok {
		if prev, dup := v.opIDs[id]; dup {
			v.addf("%s.operationId: %q is also used by %s", at, id, prev)
		}
		v.opIDs[id] = at
	}
}

// declaredTags returns the top-level tag names, or nil when none are declared.
func (v *validator) declaredTags() map[string]bool {
	list, ok := v.d.root["tags"].([]any)
	if !ok {
		return nil
	}
	out := map[string]bool{}
	for _, t := range list {
		m, _ := t.(map[string]any)
		if name, _ := m["name"].(string); name != "" {
			out[name] = true
		}
	}
	return out
}

func (v *validator) schemes() map[string]bool {
	comps, _ := v.d.root["components"].(map[string]any)
	ss, _ := comps["securitySchemes"].(map[string]any)
	out := map[string]bool{}
	for name, raw := range ss {
		s := v.d.resolve(raw)
		if t, _ := s["type"].(string); t == "" {
			v.addf("components.securitySchemes[%s]: no type", name)
		}
		out[name] = true
	}
	return out
}
