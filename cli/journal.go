package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"navette"
)

// adminJournalVerify recomputes the journal's hash chain and prints its
// head, which the operator may keep as a checkpoint for the next run.
func adminJournalVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin journal verify", "--data DIR [--checkpoint SEQ:HASH]")
	open := storeFlags(fs)
	cp := fs.String("checkpoint", "", "a head printed by an earlier run, SEQ:HASH: that event must still have that hash")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	var checkpoint *navette.Event
	if *cp != "" {
		seq, h, ok := strings.Cut(*cp, ":")
		n, err1 := strconv.ParseInt(seq, 10, 64)
		sum, err2 := hex.DecodeString(h)
		if !ok || err1 != nil || err2 != nil || n < 1 || len(sum) != 32 {
			return usageError("--checkpoint is SEQ:HASH, as printed by this command, not %q", *cp)
		}
		checkpoint = &navette.Event{Seq: n, Hash: sum}
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := navette.VerifyJournal(ctx, a.Meta, checkpoint)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "journal intact: %d events", c.Events)
	if c.Unchained > 0 {
		fmt.Fprintf(env.Stdout, " (the first %d journaled before the chain began)", c.Unchained)
	}
	if checkpoint != nil {
		fmt.Fprintf(env.Stdout, ", checkpoint %d holds", checkpoint.Seq)
	}
	fmt.Fprintf(env.Stdout, "\nhead %d:%x\n", c.LastSeq, c.Head)
	return nil
}
