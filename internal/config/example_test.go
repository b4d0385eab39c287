package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExampleFileDocumentsEverySetting keeps deploy/livesell.example.yaml
// true: it names every setting, and loading it gives the defaults.
func TestExampleFileDocumentsEverySetting(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "livesell.example.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var c Config
	for _, s := range c.settings() {
		if _, ok := doc[s.name]; !ok {
			t.Errorf("%s does not document %q", path, s.name)
		}
	}
	got, err := Load([]string{"--config", path}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	gotS, wantS := got.settings(), want.settings()
	for i := range gotS {
		if gotS[i].value.String() != wantS[i].value.String() {
			t.Errorf("example %s = %q, default is %q", gotS[i].name, gotS[i].value.String(), wantS[i].value.String())
		}
	}
}
