package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShape keeps the whole tree readable: no .go or .js file over 600
// lines, no interface over 10 methods outside tests, no type with more
// than 25 methods.
func TestShape(t *testing.T) {
	const maxLines, maxIface, maxMethods = 600, 10, 25
	root := filepath.Join("..", "..")
	methods := map[string]int{} // "dir.Type" → methods
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".js") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if n := strings.Count(string(src), "\n"); n > maxLines {
			t.Errorf("%s has %d lines, at most %d", rel, n, maxLines)
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		dir := filepath.Dir(rel)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if it, ok := n.Type.(*ast.InterfaceType); ok && len(it.Methods.List) > maxIface {
					t.Errorf("%s: interface %s has %d methods, at most %d", rel, n.Name.Name, len(it.Methods.List), maxIface)
				}
			case *ast.FuncDecl:
				if n.Recv != nil && len(n.Recv.List) == 1 {
					typ := n.Recv.List[0].Type
					if s, ok := typ.(*ast.StarExpr); ok {
						typ = s.X
					}
					if ix, ok := typ.(*ast.IndexExpr); ok { // a generic type
						typ = ix.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						methods[dir+"."+id.Name]++
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 || methods["signaling/interaction.Hub"] == 0 {
		t.Fatalf("walked %d files and found no methods of interaction.Hub: not the repository's root", files)
	}
	for typ, n := range methods {
		if n > maxMethods {
			t.Errorf("type %s has %d methods, at most %d", typ, n, maxMethods)
		}
	}
}
