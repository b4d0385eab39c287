package interaction

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

// The interaction packages stay readable: no file over 600 lines, no
// interface over 10 methods outside tests, no type with more than 25
// methods.
func TestPackageShape(t *testing.T) {
	const maxLines, maxIface, maxMethods = 600, 10, 25
	methods := map[string]int{} // "dir.Type" → methods
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(src), "\n"); n > maxLines {
			t.Errorf("%s has %d lines, at most %d", path, n, maxLines)
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		dir := filepath.Base(filepath.Join("interaction", filepath.Dir(path)))
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if it, ok := n.Type.(*ast.InterfaceType); ok && len(it.Methods.List) > maxIface {
					t.Errorf("%s: interface %s has %d methods, at most %d", path, n.Name.Name, len(it.Methods.List), maxIface)
				}
			case *ast.FuncDecl:
				if n.Recv != nil && len(n.Recv.List) == 1 {
					typ := n.Recv.List[0].Type
					if s, ok := typ.(*ast.StarExpr); ok {
						typ = s.X
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
	for typ, n := range methods {
		if n > maxMethods {
			t.Errorf("type %s has %d methods, at most %d", typ, n, maxMethods)
		}
	}
	if methods["interaction.Hub"] == 0 {
		t.Fatalf("no methods of Hub found: %v", methods)
	}
	t.Logf("methods per type: %v", methods)
}
