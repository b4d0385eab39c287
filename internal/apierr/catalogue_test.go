package apierr

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogueIsWellFormed checks every code once, a status that is an
// error status, a message, and the naming rule (no "bad_" drift).
func TestCatalogueIsWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*[a-z0-9]$`)
	seen := map[Code]bool{}
	for _, e := range Catalogue() {
		if seen[e.Code] {
			t.Errorf("%s declared twice", e.Code)
		}
		seen[e.Code] = true
		if !name.MatchString(string(e.Code)) || regexp.MustCompile(`^bad_`).MatchString(string(e.Code)) {
			t.Errorf("%s: not a catalogue name (lower_snake, invalid_* rather than bad_*)", e.Code)
		}
		if e.Status < 400 || e.Status > 599 {
			t.Errorf("%s: status %d is not an error status", e.Code, e.Status)
		}
		if e.Message == "" {
			t.Errorf("%s: no default message", e.Code)
		}
	}
}

func TestEUsesTheCatalogue(t *testing.T) {
	tests := []struct {
		err    *Error
		status int
		code   Code
		msg    string
	}{
		{New(CodeSoldOut), 409, CodeSoldOut, "the product is sold out"},
		{E(CodeInvalidSDP, "no m= section in %s", "offer"), 400, CodeInvalidSDP, "no m= section in offer"},
		{E("made_up", "x"), 500, CodeInternal, "internal server error"},
		{Wrap(CodeRoomNotFound, errors.New("cause")), 404, CodeRoomNotFound, "no such room"},
	}
	for _, tt := range tests {
		if tt.err.Status != tt.status || tt.err.Code != tt.code || tt.err.Message != tt.msg {
			t.Errorf("got %d %s %q, want %d %s %q", tt.err.Status, tt.err.Code, tt.err.Message, tt.status, tt.code, tt.msg)
		}
	}
	wrapped := fmt.Errorf("ctx: %w", E(CodeSoldOut, "p1 is gone"))
	if !errors.Is(wrapped, New(CodeSoldOut)) || errors.Is(wrapped, New(CodeLimitReached)) {
		t.Fatal("errors.Is does not compare codes")
	}
	if CodeOf(wrapped) != CodeSoldOut || CodeOf(errors.New("x")) != CodeInternal {
		t.Fatal("CodeOf")
	}
}

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Title string `json:"title"`
	}
	tests := []struct {
		in   string
		code Code
	}{
		{`{"title":"x"}`, ""},
		{``, ""},
		{`{"title":`, CodeInvalidJSON},
		{`{"title":"x","color":"red"}`, CodeInvalidJSON},
		{`{"title":"x"} {}`, CodeInvalidJSON},
		{`[1]`, CodeInvalidJSON},
		{`{"title":` + string(make([]byte, MaxJSONBody)) + `}`, CodeBodyTooLarge},
	}
	for _, tt := range tests {
		var b body
		err := DecodeJSON([]byte(tt.in), &b)
		if tt.code == "" && err != nil || tt.code != "" && CodeOf(err) != tt.code {
			t.Errorf("DecodeJSON(%.30q) = %v, want %q", tt.in, err, tt.code)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"title":"x"}`))
	f.Add([]byte(`{"title":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var v struct {
			Title string `json:"title"`
			N     int    `json:"n"`
		}
		if err := DecodeJSON(in, &v); err != nil {
			if c := CodeOf(err); c != CodeInvalidJSON && c != CodeBodyTooLarge {
				t.Fatalf("code %s", c)
			}
		}
	})
}

// TestNoHandlerChoosesAStatus: outside this package nothing builds an
// *Error by hand (with a status of its own): every error comes from E, New,
// Wrap or Internal, so its status is the catalogue's.
func TestNoHandlerChoosesAStatus(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(filepath.ToSlash(path), "internal/apierr/") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("apierr.Error{")) {
			t.Errorf("%s builds an apierr.Error by hand; use apierr.E/New/Wrap with a catalogue code", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
