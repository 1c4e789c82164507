package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The Docker image is distroless/static: it only works if the
// CGO_ENABLED=0 build really is static and needs nothing from its
// environment. There is no Docker engine in CI, so this proves what can be
// proven here: build exactly as the Dockerfile does, then run the binary
// with an empty environment in an empty folder.
func TestStaticBinary_RunsWithEmptyEnvironment(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux/amd64; ELF checks only make sense there")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go toolchain not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "digitbot")
	build := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 build failed: %v\n%s", err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary needs shared libraries: %v", libs)
	}

	empty := t.TempDir()
	cmd := exec.Command(bin, "model")
	cmd.Dir = empty
	cmd.Env = []string{} // nothing: no HOME, no PATH, no token
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("digitbot model with an empty environment: %v\n%s", err, out)
	}
	if !strings.Contains(strings.ToLower(string(out)), "param") {
		t.Errorf("model card output does not list parameters:\n%s", out)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("digitbot model wrote files into its working folder: %v", entries)
	}

	// With no token, `run` must exit 2 and name the variable (README,
	// "The two commands": with no token it says exactly what to set).
	run := exec.Command(bin, "run")
	run.Dir = empty
	run.Env = []string{}
	out, err = run.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("run without a token: err %v, want exit status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "DIGITBOT_TOKEN") {
		t.Errorf("run without a token does not name DIGITBOT_TOKEN:\n%s", out)
	}
}
