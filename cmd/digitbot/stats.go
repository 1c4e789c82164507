package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/chart"
	"github.com/digitbot/digitbot/internal/atomicfile"
	"github.com/digitbot/digitbot/store"
)

// runStats renders the /stats image offline, from a database or from a
// deterministic demo history:
//
//	digitbot stats --db FILE [--guild ID] [--user ID] [--lang es] -o out.png
//	digitbot stats --demo N [--seed S] -o out.png
//
// The PNG is written to a temporary file next to the target and renamed
// into place, so a failure never leaves a half-written or blank image, nor
// clobbers an older one. "-o -" writes to stdout.
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "database `file` to read (opened read-only)")
	guild := fs.String("guild", "", "only this server's evaluations (server `ID`)")
	user := fs.String("user", "", "only this user's evaluations (user `ID`)")
	demo := fs.Int("demo", 0, "render a synthetic history of `N` evaluations instead of a database")
	seed := fs.Int64("seed", 1, "seed of the --demo history")
	out := fs.String("o", "", "output PNG `file` (- for stdout)")
	lang := fs.String("lang", "en", "language of the labels: en or es")
	title := fs.String("title", "", "title of the image (default: names the scope)")
	threshold := fs.Float64("threshold", digitbot.DefaultThreshold, "confidence threshold line, 0..1")
	width := fs.Int("width", chart.DefaultWidth, "image width in pixels")
	height := fs.Int("height", chart.DefaultHeight, "image height in pixels")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for a database locked by another process")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: digitbot stats --db FILE [--guild ID] [--user ID] [--lang es] -o out.png\n"+
			"       digitbot stats --demo N [--seed S] [--lang es] -o out.png\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments: %v", fs.Args())
	case *out == "":
		return usagef("missing -o FILE (the PNG to write, or - for stdout)")
	case set["db"] && set["demo"]:
		return usagef("use either --db or --demo, not both")
	case !set["db"] && !set["demo"]:
		return usagef("missing --db FILE or --demo N")
	case set["db"] && *dbPath == "":
		return usagef("--db needs a file name")
	case set["demo"] && *demo < 0:
		return usagef("--demo N needs N >= 0, got %d", *demo)
	case set["demo"] && (set["guild"] || set["user"]):
		return usagef("--guild and --user select from a database; they do not apply to --demo")
	case !validLang(*lang):
		return usagef("--lang must be en or es, got %q", *lang)
	case *threshold <= 0 || *threshold > 1:
		return usagef("--threshold must be in (0, 1], got %v", *threshold)
	case *width < chart.MinWidth || *width > chart.MaxWidth || *height < chart.MinHeight || *height > chart.MaxHeight:
		return usagef("--width/--height must be within %dx%d..%dx%d", chart.MinWidth, chart.MinHeight, chart.MaxWidth, chart.MaxHeight)
	}

	scope := digitbot.Scope{GuildID: *guild, UserID: *user}
	var stats digitbot.Stats
	if set["demo"] {
		stats = chart.DemoStats(*demo, *seed)
	} else {
		db, err := store.Open(*dbPath, store.Options{ReadOnly: true, Timeout: *timeout})
		if err != nil {
			return err
		}
		stats, err = db.Stats(ctx, scope)
		if cerr := db.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("reading stats from %s: %w", *dbPath, err)
		}
	}
	if *title == "" {
		*title = scopeTitle(scope, set["demo"], *lang)
	}
	png, err := chart.Render(stats, chart.Options{
		Title: *title, Threshold: *threshold, Lang: *lang, Width: *width, Height: *height,
	})
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err := stdout.Write(png)
		return err
	}
	// 0644: a chart holds only aggregates and is made to be shared.
	err = atomicfile.Write(*out, 0o644, func(w io.Writer) error { _, err := w.Write(png); return err })
	if err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(stderr, "wrote %s (%d evaluations, %d bytes)\n", *out, stats.Total, len(png))
	return nil
}

// scopeTitle names what the image covers when --title is not given.
func scopeTitle(s digitbot.Scope, demo bool, lang string) string {
	es := digitbot.Lang(lang) == digitbot.LangSpanish
	switch {
	case demo && es:
		return "Demo de digitbot"
	case demo:
		return "digitbot demo"
	case s.GuildID != "" && s.UserID != "" && es:
		return "Usuario " + s.UserID + " · servidor " + s.GuildID
	case s.GuildID != "" && s.UserID != "":
		return "User " + s.UserID + " · server " + s.GuildID
	case s.GuildID != "" && es:
		return "Servidor " + s.GuildID
	case s.GuildID != "":
		return "Server " + s.GuildID
	case s.UserID != "" && es:
		return "Usuario " + s.UserID
	case s.UserID != "":
		return "User " + s.UserID
	case es:
		return "Todas las evaluaciones"
	default:
		return "All evaluations"
	}
}

// validLang reports whether a --lang flag names a language the bot speaks.
func validLang(s string) bool {
	_, err := digitbot.ParseLang(s)
	return err == nil
}
