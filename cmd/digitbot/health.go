package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/digitbot/digitbot/admin"
)

// runHealth asks a running bot's /healthz. It is the Docker HEALTHCHECK:
// the runtime image has no curl, so the binary checks itself.
func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultAddr := "127.0.0.1:9090"
	if v, ok := os.LookupEnv("DIGITBOT_ADMIN_ADDR"); ok && v != "" {
		defaultAddr = v
	}
	addr := fs.String("addr", defaultAddr, "admin address of the running bot (admin_addr)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for an answer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: digitbot health [--addr HOST:PORT] [--timeout 3s]\n\n"+
			"Asks a running bot's /healthz (served on admin_addr) and prints \"ok\", or says why\n"+
			"not and exits 1. The Docker image uses it as its HEALTHCHECK.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := admin.CheckHealth(ctx, *addr); err != nil {
		return fmt.Errorf("%s: %w", *addr, err)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
