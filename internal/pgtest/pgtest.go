// Package pgtest runs a throwaway PostgreSQL server for tests and
// benchmarks: initdb in a temporary directory, a Unix socket in that
// directory and no TCP port, trust authentication, stopped and deleted by
// Stop. It uses the server binaries of Debian's postgresql package
// (/usr/lib/postgresql/N/bin); without them tests skip, or fail when the
// CI environment variable is set.
//
// initdb and postgres refuse to run as root: as root, the server runs as
// the postgres user (or nobody) and the directory is handed to it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstallHint is what to do when the binaries are missing.
const InstallHint = "PostgreSQL is not installed: apt-get install -y postgresql (Debian's package; its binaries go to /usr/lib/postgresql/N/bin)"

// ErrNotInstalled is returned by Start when no server binaries are found.
var ErrNotInstalled = errors.New(InstallHint)

// Options configures Start.
type Options struct {
	// Durable keeps PostgreSQL's defaults (fsync, synchronous commit) for
	// benchmarks; tests turn them off, as a crash of a test server loses
	// nothing of value.
	Durable bool
}

// Server is a running throwaway server.
type Server struct {
	Version string // major version, e.g. "15"
	dir     string
	cmd     *exec.Cmd
	exited  chan error
	next    atomic.Int64
}

// binDir returns the newest /usr/lib/postgresql/N/bin holding initdb and
// postgres.
func binDir() (dir, version string, err error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	for _, m := range matches {
		d := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, filepath.Base(filepath.Dir(d)), nil
		}
	}
	return "", "", ErrNotInstalled
}

// serverUser is who runs the server: the current user, or when that is
// root, the postgres user (or nobody).
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
		}
	}
	return nil, errors.New("running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// Start initialises and starts a server. It returns ErrNotInstalled when
// the binaries are missing.
func Start(opts Options) (*Server, error) {
	bin, version, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "digitbot-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Version: version, dir: dir, exited: make(chan error, 1)}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "digitbot", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "max_connections=200"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return fail(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return fail(err)
	}
	go func() { s.exited <- s.cmd.Wait(); logFile.Close() }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	return s, nil
}

// waitReady connects until the server answers, it exits, or the time is
// up (the server offers no readiness event a client can wait on).
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case werr := <-s.exited:
			s.exited <- werr
			return fmt.Errorf("postgres exited at start: %v", werr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s: %v", limit, err)
		}
	}
}

// URL is the connection string of a database on this server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("host=%s user=digitbot dbname=%s sslmode=disable", s.dir, database)
}

// CreateDatabase creates an empty database with a fresh name and returns
// its connection string.
func (s *Server) CreateDatabase(ctx context.Context, prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d", strings.ToLower(prefix), s.next.Add(1))
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 STRATEGY FILE_COPY"); err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// Stop stops the server (fast shutdown: sessions are ended) and deletes
// its directory.
func (s *Server) Stop() error {
	var err error
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case err = <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			err = <-s.exited
		}
	}
	if rerr := os.RemoveAll(s.dir); rerr != nil {
		return rerr
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // stopped by our signal
	}
	return err
}

// inCI reports whether tests must fail rather than skip without PostgreSQL.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Suite is the server of one test binary, started by Main.
type Suite struct {
	server *Server
	err    error
}

// Main starts one server for a test binary, runs its tests and stops the
// server: call it from TestMain as os.Exit(pgtest.Main(m, &suite)). When
// the server cannot start, the tests still run and NewDatabase skips
// them, or fails them in CI.
func Main(m *testing.M, suite *Suite) int {
	suite.server, suite.err = Start(Options{})
	code := m.Run()
	if suite.server != nil {
		if err := suite.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stopping PostgreSQL:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// NewServer starts a server for one test, stopped on cleanup. Without the
// binaries it skips the test, or fails it when CI is set.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		if inCI() || !errors.Is(err, ErrNotInstalled) {
			tb.Fatalf("PostgreSQL test server: %v", err)
		}
		tb.Skip(err.Error())
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	return s
}

// NewDatabase returns the connection string of a fresh database on the
// suite's server. Without a server it skips the test, naming the package
// to install; with CI set it fails instead.
func (s *Suite) NewDatabase(tb testing.TB) string {
	tb.Helper()
	if s.server == nil {
		err := s.err
		if err == nil {
			err = errors.New("pgtest.Main was not called from TestMain")
		}
		if inCI() || !errors.Is(err, ErrNotInstalled) {
			tb.Fatalf("PostgreSQL test server: %v", err)
		}
		tb.Skip(err.Error())
	}
	url, err := s.server.CreateDatabase(context.Background(), "t")
	if err != nil {
		tb.Fatal(err)
	}
	return url
}

// Server returns the running server, nil if it did not start.
func (s *Suite) Server() *Server { return s.server }
