package main

import (
	"context"
	"fmt"

	"github.com/mmdbot/mmdbot/kbfile"
	"github.com/mmdbot/mmdbot/knowledge"
)

func cmdKB(ctx context.Context, e env, usage string, args []string) error {
	sub, err := subcommandOf(e, usage, args, "validate", "diff", "fetch")
	switch sub {
	case "":
		return err
	case "diff":
		return cmdKBDiff(e, args[1:])
	case "fetch":
		return cmdKBFetch(ctx, e, args[1:])
	}
	fs := newFlags(e, "kb validate", "kb validate FILE")
	if ok, err := parseFlags(fs, args[1:]); !ok {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	base, err := kbfile.Load(fs.Arg(0))
	if err != nil {
		printLoadError(e.stderr, err)
		fmt.Fprintf(e.stderr, "%s: not valid\n", fs.Arg(0))
		return exitCode(1)
	}
	counts := map[knowledge.Owner]int{}
	for _, en := range base.Entries() {
		counts[en.Owner]++
	}
	fmt.Fprintf(e.stdout, "%s: valid: %d entries (%d microsoft, %d customer, %d shared), %d vocabulary terms, %d examples",
		fs.Arg(0), len(base.Entries()), counts[knowledge.OwnerMicrosoft], counts[knowledge.OwnerCustomer], counts[knowledge.OwnerShared], len(base.Vocabulary().Terms), len(base.Examples()))
	if len(base.Examples()) == 0 {
		fmt.Fprint(e.stdout, " (no model: the lexical matcher answers)")
	}
	fmt.Fprintln(e.stdout)
	return nil
}
