package apidoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
)

// maxBodyProblems bounds the problems CheckBody lists.
const maxBodyProblems = 20

// maxSchemaSteps bounds the schema nodes one CheckBody visits: an allOf
// that names its own schema twice would otherwise double the walk at every
// level, 2^maxDepth steps (found by FuzzParseValidate).
const maxSchemaSteps = 100_000

// CheckBody reports where a JSON response body departs from the schema
// the document gives for op's response to status (application/json): a
// value of another type, a missing required property, a value outside an
// enum, a date-time that is not RFC 3339, or a property the schema does not
// declare (when it declares properties and does not allow others). It
// returns nil when the response documents no JSON schema.
func (d *Document) CheckBody(op Operation, status int, body []byte) error {
	key := d.response(op, status)
	if key == "" {
		return fmt.Errorf("apidoc: %s does not document status %d", op, status)
	}
	rs, _ := d.operation(op)["responses"].(map[string]any)
	content, _ := d.resolve(rs[key])["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, ok := media["schema"]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("apidoc: %s %d: the body is not JSON: %w", op, status, err)
	}
	c := bodyChecker{d: d}
	c.check("$", v, schema, 0)
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("apidoc: %s %d: the body departs from its schema:\n  %s", op, status, strings.Join(c.problems, "\n  "))
}

type bodyChecker struct {
	d        *Document
	problems []string
	steps    int // schema nodes visited, up to maxSchemaSteps
}

// step counts one schema node; false once the budget is spent.
func (c *bodyChecker) step() bool {
	c.steps++
	if c.steps == maxSchemaSteps {
		c.addf("the schema takes more than %d steps to check (an allOf cycle?)", maxSchemaSteps)
	}
	return c.steps < maxSchemaSteps
}

func (c *bodyChecker) addf(format string, args ...any) {
	if len(c.problems) < maxBodyProblems {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

// flat is a schema with its allOf parts merged.
type flat struct {
	types      []string
	nullable   bool
	format     string
	enum       []any
	required   []string
	properties map[string]any
	open       bool // additional properties allowed
	items      []any
}

func (c *bodyChecker) flatten(schema any, f *flat, depth int) {
	if !c.step() {
		return
	}
	s := c.d.resolve(schema)
	if s == nil || depth > maxDepth {
		return
	}
	if t, ok := s["type"].(string); ok {
		f.types = append(f.types, t)
	}
	if n, _ := s["nullable"].(bool); n {
		f.nullable = true
	}
	if fm, ok := s["format"].(string); ok {
		f.format = fm
	}
	if e, ok := s["enum"].([]any); ok {
		f.enum = e
	}
	if r, ok := s["required"].([]any); ok {
		for _, x := range r {
			if name, ok := x.(string); ok {
				f.required = append(f.required, name)
			}
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		if f.properties == nil {
			f.properties = map[string]any{}
		}
		for k, v := range props {
			f.properties[k] = v
		}
	}
	if ap, ok := s["additionalProperties"]; ok && ap != false {
		f.open = true
	}
	if it, ok := s["items"]; ok {
		f.items = append(f.items, it)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			c.flatten(sub, f, depth+1)
		}
	}
}

func (c *bodyChecker) check(at string, v any, schema any, depth int) {
	if depth > maxDepth || !c.step() {
		return
	}
	var f flat
	c.flatten(schema, &f, 0)
	if v == nil {
		if !f.nullable && len(f.types) > 0 {
			c.addf("%s: null, but the schema is %s and not nullable", at, f.types[0])
		}
		return
	}
	for _, t := range f.types {
		if !hasType(v, t) {
			c.addf("%s: %s, but the schema says %s", at, jsonType(v), t)
			return
		}
	}
	if len(f.enum) > 0 && !inEnum(v, f.enum) {
		c.addf("%s: %v is not one of %v", at, v, f.enum)
	}
	if s, ok := v.(string); ok && f.format == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			c.addf("%s: %q is not an RFC 3339 date-time", at, s)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, name := range f.required {
			if _, ok := x[name]; !ok {
				c.addf("%s: required property %q is missing", at, name)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := f.properties[k]
			switch {
			case ok:
				c.check(at+"."+k, x[k], ps, depth+1)
			case f.properties != nil && !f.open:
				c.addf("%s: property %q is not documented", at, k)
			}
		}
	case []any:
		for i, item := range x {
			for _, is := range f.items {
				c.check(fmt.Sprintf("%s[%d]", at, i), item, is, depth+1)
			}
		}
	}
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, ok = new(big.Int).SetString(n.String(), 10)
		return ok
	}
	return true // an unknown type is the validator's concern, not the body's
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if fmt.Sprint(e) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}
