package main

import (
	"context"
	"fmt"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/plaintext"
)

func cmdTable(ctx context.Context, e env, usage string, args []string) error {
	fs := newFlags(e, "table", usage)
	owner := fs.String("owner", "", "only the entries of this owner: microsoft, customer or shared")
	format := fs.String("format", "text", "output format: text, markdown, csv or json")
	kb := settingFlag(e, fs, "kb")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	owners := knowledge.Owners
	if *owner != "" {
		o, err := knowledge.ParseOwner(*owner)
		if err != nil {
			fmt.Fprintf(e.stderr, "mmdbot table: --owner: %v\n", err)
			return exitCode(2)
		}
		owners = []knowledge.Owner{o}
	}
	base, err := kbfile.Load(*kb)
	if err != nil {
		return err
	}
	groups := bot.GroupByOwner(base.Entries(), owners...)
	entries := []*knowledge.Entry{}
	for _, g := range groups {
		entries = append(entries, g.Entries...)
	}
	switch *format {
	case "text":
		plaintext.Table(e.stdout, groups)
	case "markdown", "md":
		plaintext.Markdown(e.stdout, groups)
	case "csv":
		return plaintext.CSV(e.stdout, groups)
	case "json":
		return jsonout.Write(e.stdout, entries)
	default:
		fmt.Fprintf(e.stderr, "mmdbot table: unknown --format %q (want text, markdown, csv or json)\n", *format)
		return exitCode(2)
	}
	return nil
}
