package digitbot_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/digitbot/digitbot"

// importRule says what one package's non-test code may import: Internal
// lists the module's own packages (by directory, "." = the root), Forbidden
// lists third-party import prefixes it must not use. docs/architecture.md
// draws the same map; keep them together.
type importRule struct {
	Internal  []string
	Forbidden []string
}

// Every dependency lives in one package: discordgo in bot (and the fake
// Discord), bbolt in store, pgx in postgres, onnx-go in classifier,
// go-chart in chart.
var (
	discordgo = "github.com/bwmarrin/discordgo"
	bbolt     = "go.etcd.io/bbolt"
	onnx      = "github.com/owulveryck/onnx-go"
	gorgonia  = "gorgonia.org/"
	gochart   = "github.com/wcharczuk/go-chart"
	pgx       = "github.com/jackc/pgx"
)

func architectureRules() map[string]importRule {
	return map[string]importRule{
		".":           {Forbidden: []string{"github.com/", "golang.org/x/", "go.etcd.io/", "gorgonia.org/"}},
		"bot":         {Internal: []string{"."}, Forbidden: []string{bbolt, pgx, onnx, gorgonia, gochart}},
		"classifier":  {Internal: []string{".", "classifier/internal/onnxplan"}, Forbidden: []string{discordgo, bbolt, pgx, gochart}},
		"store":       {Internal: []string{".", "internal/atomicfile"}, Forbidden: []string{discordgo, pgx, onnx, gorgonia, gochart}},
		"postgres":    {Internal: []string{"."}, Forbidden: []string{discordgo, bbolt, onnx, gorgonia, gochart}},
		"chart":       {Internal: []string{"."}, Forbidden: []string{discordgo, bbolt, pgx, onnx, gorgonia}},
		"config":      {Internal: []string{"."}, Forbidden: []string{discordgo, bbolt, pgx, onnx, gorgonia, gochart}},
		"admin":       {Forbidden: []string{discordgo, bbolt, pgx, onnx, gorgonia, gochart}},
		"models":      {Internal: []string{"."}, Forbidden: []string{discordgo, bbolt, onnx, gorgonia, gochart}},
		"fakediscord": {Forbidden: []string{bbolt, onnx, gorgonia, gochart}},
		"playground":  {Internal: []string{".", "fakediscord"}, Forbidden: []string{bbolt, onnx, gorgonia, gochart}},
		// Test-only, but on the map: the contract suite sees stores only
		// through the root interface; the test server is reached with pgx.
		"internal/storetest": {Internal: []string{"."}, Forbidden: []string{discordgo, bbolt, pgx, onnx, gorgonia, gochart}},
		"internal/pgtest":    {Forbidden: []string{discordgo, bbolt, onnx, gorgonia, gochart}},
		// Used by production code, so held to the rules despite internal/.
		"internal/atomicfile": {Forbidden: []string{"github.com/", "golang.org/x/", "go.etcd.io/", "gorgonia.org/"}},
		// classifier's compiled onnx-go backend: onnx-go and its graph and
		// tensor types, nothing of this module.
		"classifier/internal/onnxplan": {Forbidden: []string{discordgo, bbolt, gochart, "golang.org/x/"}},
		// cmd/digitbot wires everything by hand: it may import any package
		// of this module, but reaches the databases only through store and
		// postgres.
		"cmd/digitbot": {Internal: []string{"*"}, Forbidden: []string{bbolt, pgx}},
	}
}

// TestArchitecture_Imports fails when a package imports what the map in
// docs/architecture.md forbids, or when a package is not on the map.
func TestArchitecture_Imports(t *testing.T) {
	for _, v := range violations(architectureRules(), packageImports(t)) {
		t.Error(v)
	}
}

// violations lists every import that breaks the rules, one sentence each.
func violations(rules map[string]importRule, imports map[string][]string) []string {
	var out []string
	var dirs []string
	for dir := range imports {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		rule, ok := rules[dir]
		if !ok && isTestOnlyPackage(dir) {
			continue
		}
		if !ok {
			out = append(out, "package "+dir+" is not on the architecture map: add it to docs/architecture.md and architectureRules")
			continue
		}
		for _, imp := range imports[dir] {
			if dep, internal := strings.CutPrefix(imp, modulePath); internal {
				dep = strings.TrimPrefix(dep, "/")
				if dep == "" {
					dep = "."
				}
				if !allowedInternal(rule.Internal, dep) {
					out = append(out, dir+" imports "+imp+": the map does not allow it")
				}
				continue
			}
			for _, f := range rule.Forbidden {
				if strings.HasPrefix(imp, f) {
					out = append(out, dir+" imports "+imp+", which belongs to another package")
				}
			}
		}
	}
	return out
}

// isTestOnlyPackage reports packages that exist only for tests (helpers
// and doubles): unless the map has a rule for them, they may import what
// the tests need.
func isTestOnlyPackage(dir string) bool {
	return strings.HasSuffix(dir, "test") && dir != "fakediscord" || strings.Contains(dir, "internal/")
}

func allowedInternal(allowed []string, dep string) bool {
	for _, a := range allowed {
		if a == "*" || a == dep {
			return true
		}
	}
	return false
}

// packageImports parses the import blocks of every non-test Go file in the
// module, keyed by package directory relative to the module root.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			out[dir] = append(out[dir], p)
		}
		if _, ok := out[dir]; !ok {
			out[dir] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestArchitecture_Violations checks the checker on imports that break the
// map: bot importing store and bbolt, cmd/digitbot and internal/atomicfile
// importing bbolt, and a package nobody mapped (a test-only package under
// internal/ without a row is exempt).
func TestArchitecture_Violations(t *testing.T) {
	got := violations(architectureRules(), map[string][]string{
		"bot":                 {"context", modulePath, modulePath + "/store", bbolt + "/errors"},
		"classifier":          {modulePath, onnx},
		"cmd/digitbot":        {modulePath + "/store", bbolt},
		"newpkg":              {"fmt"},
		"internal/x":          {bbolt},
		"internal/atomicfile": {bbolt},
	})
	want := []string{
		"bot imports " + modulePath + "/store: the map does not allow it",
		"bot imports " + bbolt + "/errors, which belongs to another package",
		"cmd/digitbot imports " + bbolt + ", which belongs to another package",
		"internal/atomicfile imports " + bbolt + ", which belongs to another package",
		"package newpkg is not on the architecture map: add it to docs/architecture.md and architectureRules",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
