// Command digitbot runs the digit-recognising Discord bot and its tools.
//
// Each subcommand lives in its own file (run.go, predict.go, stats.go, ...)
// and has the signature of command.run: it parses its own flags and returns
// a *usageError for bad invocations (exit status 2) or any other error for
// failures (exit status 1).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand of digitbot.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// usageError is a bad invocation: wrong flags or arguments. It exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries an exit status chosen by a subcommand (e.g. 2 for a
// missing token) with a message already meant for the user.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// parseFlags parses a subcommand's flags. -h/--help returns flag.ErrHelp
// (the usage was printed; Main exits 0); any other problem is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return usagef("%v", err)
	}
	return nil
}

func commands() map[string]command {
	return map[string]command{
		"run":        {"run the bot (needs DIGITBOT_TOKEN or a token file)", runRun},
		"playground": {"try the real bot in a browser, no Discord account needed", runPlayground},
		"predict":    {"classify image files with the bot's pipeline", runPredict},
		"stats":      {"render the /stats image from a database or a demo history", runStats},
		"export":     {"write evaluations from a database as CSV", runExport},
		"dataset":    {"write confirmed evaluations as training data (PNGs, labels.csv, MNIST idx, datasheet)", runDataset},
		"backup":     {"copy a stopped bot's database safely (a running bot writes its own hot backups to backup_dir)", runBackup},
		"model":      {"print the model card", runModel},
		"health":     {"ask a running bot's /healthz (the Docker HEALTHCHECK)", runHealth},
		"version":    {"print digitbot's version, source revision, Go version and model", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs one subcommand and returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "digitbot: unknown command %q\n\n", args[0])
		printUsage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "digitbot %s: %s\n", args[0], ue.msg)
		return 2
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, ee.msg)
		return ee.code
	default:
		fmt.Fprintf(stderr, "digitbot %s: %v\n", args[0], err)
		return 1
	}
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: digitbot <command> [flags]\n\ncommands:")
	for _, name := range []string{"run", "playground", "predict", "stats", "export", "dataset", "backup", "model", "health", "version"} {
		if c, ok := cmds[name]; ok {
			fmt.Fprintf(w, "  %-11s %s\n", name, c.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'digitbot <command> -h' for a command's flags.")
}
