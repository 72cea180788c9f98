package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

func cmdReport(ctx context.Context, e env, usage string, args []string) error {
	what, err := subcommandOf(e, usage, args, "unanswered", "feedback")
	if what == "" {
		return err
	}
	fs := newFlags(e, "report "+what, "report "+what+" [--since DURATION] [--format text|csv|json] [--data FILE]")
	since := fs.Duration("since", 30*24*time.Hour, "how far back to look, such as 24h or 720h")
	format := fs.String("format", "text", "output format: text, csv or json")
	data := settingFlag(e, fs, "data")
	if ok, err := parseFlags(fs, args[1:]); !ok {
		return err
	}
	switch *format {
	case "text", "csv", "json":
	default:
		fmt.Fprintf(e.stderr, "mmdbot report: unknown --format %q (want text, csv or json)\n", *format)
		return exitCode(2)
	}
	st, err := openData(ctx, e, "report", *data)
	if err != nil {
		return err
	}
	defer st.Close()
	from := time.Now().Add(-*since)
	if what == "feedback" {
		fb, err := st.Feedback(ctx, from)
		if err != nil {
			return err
		}
		return writeFeedback(e.stdout, *format, fb)
	}
	un, err := st.Unanswered(ctx, from)
	if err != nil {
		return err
	}
	fb, err := st.Feedback(ctx, from)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return jsonout.Write(e.stdout, struct {
			Unanswered []store.Unanswered    `json:"unanswered"`
			Feedback   []store.FeedbackCount `json:"feedback"`
		}{un, fb})
	case "csv":
		cw := csv.NewWriter(e.stdout)
		cw.Write([]string{"count", "question", "band", "candidates", "adapters", "last"})
		for _, u := range un {
			cw.Write([]string{fmt.Sprint(u.Count), csvSafe(u.Question), string(u.Band), strings.Join(u.Candidates, " "), strings.Join(u.Adapters, " "), u.Last.Format(time.RFC3339)})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(un) == 0 {
		fmt.Fprintf(e.stdout, "No unanswered questions in the last %s.\n", *since)
	} else {
		fmt.Fprintf(e.stdout, "Unanswered questions in the last %s, most frequent first:\n", *since)
		for _, u := range un {
			// Only the choices of a "did you mean" mean something: the
			// closest entries of an "I don't know" (recorded by earlier
			// versions) fit too badly to name.
			cands := ""
			if u.Band == knowledge.BandSuggest && len(u.Candidates) > 0 {
				cands = " — did you mean: " + strings.Join(u.Candidates[:min(3, len(u.Candidates))], ", ")
			}
			fmt.Fprintf(e.stdout, "%5d  %s  [%s]%s\n", u.Count, u.Question, u.Band, cands)
		}
	}
	if len(fb) > 0 {
		fmt.Fprintln(e.stdout)
		return writeFeedback(e.stdout, "text", fb)
	}
	return nil
}

// openData opens the data store mmdbot serve records to, for a command:
// the PostgreSQL of the replicas, when MMD_DATABASE_URL says so, as for
// mmdbot serve; else the SQLite file, which must exist.
func openData(ctx context.Context, e env, cmd, data string) (*store.Store, error) {
	target := e.getenv("MMD_DATABASE_URL")
	if target == "" {
		if _, err := os.Stat(data); err != nil {
			fmt.Fprintf(e.stderr, "mmdbot %s: no data file %s (%v): give the file mmdbot serve records to, with --data or MMD_DATA (or MMD_DATABASE_URL for PostgreSQL)\n", cmd, data, errors.Unwrap(err))
			return nil, exitCode(1)
		}
		target = data
	}
	return store.Open(ctx, target, 0)
}

// csvSafe keeps a cell typed by a chat user from being read as a formula by
// a spreadsheet: a cell that starts with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func writeFeedback(w io.Writer, format string, fb []store.FeedbackCount) error {
	switch format {
	case "json":
		return jsonout.Write(w, fb)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"entry", "up", "down", "downvoted"})
		for _, f := range fb {
			cw.Write([]string{f.EntryID, fmt.Sprint(f.Up), fmt.Sprint(f.Down), csvSafe(strings.Join(f.Downvoted, " | "))})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(fb) == 0 {
		fmt.Fprintln(w, "No feedback yet.")
		return nil
	}
	fmt.Fprintln(w, "Feedback per entry (👍 up, 👎 down):")
	for _, f := range fb {
		fmt.Fprintf(w, "  %-70s 👍 %d  👎 %d\n", f.EntryID, f.Up, f.Down)
		for _, q := range f.Downvoted {
			fmt.Fprintf(w, "      👎 %s\n", q)
		}
	}
	return nil
}
