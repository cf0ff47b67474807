package app

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"navette"
	"navette/account"
	"navette/keyring"
)

// DefaultRewrapBatch is how many stored keys RewrapKeys lists at a time.
const DefaultRewrapBatch = 200

// RewrapStats counts what RewrapKeys did.
type RewrapStats struct {
	To        string // the key-encryption key the stored keys were moved under
	Stale     int    // stored keys under another key at the start
	Rewrapped int    // keys re-wrapped
	Changed   int    // keys that changed meanwhile (destroyed, sent, re-wrapped by another run): left as they are
	Failed    int    // keys that could not be opened (their key-encryption key missing, or corrupt): logged and left
	Left      int    // stored keys under another key at the end
}

// keyStore returns the metadata store as a navette.KeyStore.
func (a *App) keyStore() (navette.KeyStore, error) {
	ks, ok := a.Meta.(navette.KeyStore)
	if !ok {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "This metadata store cannot re-wrap its keys.")
	}
	return ks, nil
}

// KeyCounts returns how many stored keys each key-encryption key wraps,
// per column (navette.KeyStore.CountKeys).
func (a *App) KeyCounts(ctx context.Context) ([]navette.KeyCount, error) {
	ks, err := a.keyStore()
	if err != nil {
		return nil, err
	}
	return a.keyCounts(ctx, ks)
}

// outboxColumn counts, beside the store's columns, the keys of the local
// outbox's messages (DATA/mail), which the key-encryption key wraps too.
const outboxColumn navette.KeyColumn = "mail"

// keyCounts returns the counts of ks and those of the local outbox, if
// there is one, as column "mail".
func (a *App) keyCounts(ctx context.Context, ks navette.KeyStore) ([]navette.KeyCount, error) {
	counts, err := ks.CountKeys(ctx)
	if err != nil || a.Outbox == nil {
		return counts, err
	}
	n, err := a.Outbox.KeyIDs()
	if err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(n)) {
		counts = append(counts, navette.KeyCount{Column: outboxColumn, KeyID: id, N: n[id]})
	}
	return counts, nil
}

// RotateJournalKey makes a new journal signing key named name ("" for the
// active key's name) and journals it as the local operator's act (Detail
// "journal VERIFIER retired HASH at SIZE", rotateJournalKey). It returns
// the new verifier key.
func (a *App) RotateJournalKey(ctx context.Context, name string) (string, error) {
	return a.rotateJournalKey(ctx, name, navette.Event{ActorID: navette.LocalOperator, Type: navette.EventKeyRotated, Detail: account.JournalKey})
}

// rotateJournalKey makes a new journal signing key named name ("" for the
// active key's name) and journals ev, its Detail followed by the new
// verifier key (escapeKey) and, if a key was retired, "retired HASH at SIZE": the
// journal's tree size at the retirement, which the key directory records
// too and the published key list states. The checkpointer holds its lock
// meanwhile and then signs with the new key (proof.Checkpointer.RotateKey),
// so that no node signs a larger tree with the old one. It returns the new
// verifier key.
func (a *App) rotateJournalKey(ctx context.Context, name string, ev navette.Event) (string, error) {
	var r keyring.Rotation
	_, err := a.Checkpointer.RotateKey(ctx, func(ctx context.Context) error {
		var err error
		if r, err = a.JournalKeys.RotateAs(name, func() (int64, error) { return a.Meta.TreeSize(ctx) }); err != nil {
			return err
		}
		ev.Time = a.Config.Clock.Now()
		ev.Detail += " " + escapeKey(r.Verifier)
		if r.Retired != "" {
			ev.Detail += fmt.Sprintf(" retired %s at %d", strings.Split(r.Retired, "+")[1], r.RetiredAt)
		}
		ev.Detail = navette.CleanWholeDetail(ev.Detail)
		return a.Meta.AppendEvents(ctx, ev)
	})
	return r.Verifier, err
}

// checkJournalOrigin refuses (EINVALID) to open a platform whose journal
// signing key is named for another origin than cfg's when the key has
// signed checkpoints: made silently, a key of another name would sign
// under a name of its own, unlike the other nodes of a cluster. A key that
// signed none (made by an operator command before the first start) is
// replaced by one named for the origin, journaled as a rotation.
func (a *App) checkJournalOrigin(cfg Config) error {
	want, have := JournalName(cfg), a.JournalKeys.Name()
	if want == "" || want == have {
		return nil
	}
	ctx := context.Background()
	_, err := a.Meta.LatestCheckpoint(ctx)
	if navette.IsCode(err, navette.ENOTFOUND) {
		_, err = a.RotateJournalKey(ctx, want)
		return err
	}
	if err != nil {
		return err
	}
	return JournalOriginRefusal(cfg, have)
}

// JournalOriginRefusal is why serve refuses to start with cfg when the
// journal's signing key, which has signed checkpoints, is named have, not
// as cfg names the journal (EINVALID); doctor says it in the same words.
func JournalOriginRefusal(cfg Config, have string) error {
	from := "--journal-origin"
	if cfg.JournalOrigin == "" {
		from = "--public-url " + cfg.PublicURL
	}
	want := JournalName(cfg)
	return navette.Errorf(navette.EINVALID, "The journal's signing key is named %s, not %s as this node's origin (%s) would name it, and the journal's checkpoints and receipts are signed under that name: started so, this node would sign under a name of its own. Keep the name with --journal-origin %s, or change it deliberately with \"navette admin journal key rotate --data %s --origin %s\" (then copy %s to every node).",
		have, want, from, have, cfg.DataDir, want, filepath.Join(cfg.DataDir, "keys"))
}

// RotateKey makes a new key-encryption key, active unless stage is set
// (then ActivateKey activates it once every node has it), and journals it
// as the local operator's act: only `navette admin key … --data DIR` calls
// it (and the other key methods here).
// Running servers pick it up within Config.KeyringInterval.
func (a *App) RotateKey(ctx context.Context, stage bool) (string, error) {
	id, err := a.Keys.Create(!stage)
	if err != nil {
		return "", err
	}
	detail := id
	if stage {
		detail += " staged"
	}
	return id, a.Meta.AppendEvents(ctx, navette.Event{Time: a.Config.Clock.Now(), ActorID: navette.LocalOperator, Type: navette.EventKeyRotated, Detail: detail})
}

// ActivateKey makes the staged key-encryption key id active, and journals
// it.
func (a *App) ActivateKey(ctx context.Context, id string) error {
	if err := a.Keys.Activate(id); err != nil {
		return err
	}
	return a.Meta.AppendEvents(ctx, navette.Event{Time: a.Config.Clock.Now(), ActorID: navette.LocalOperator, Type: navette.EventKeyRotated, Detail: id + " activated"})
}

// RewrapKeys re-wraps every stored key that the active key-encryption key
// does not wrap, batch keys at a time (DefaultRewrapBatch if not
// positive), each in its own short transaction with a compare-and-set
// (navette.KeyStore.ReplaceKey), so that it is safe while servers run. It
// is idempotent: run again after an interruption, it does what is left.
// progress, if set, is called after each batch. One event is journaled as
// it starts and one as it ends (or is interrupted), with the counts.
func (a *App) RewrapKeys(ctx context.Context, batch int, progress func(RewrapStats)) (RewrapStats, error) {
	ks, err := a.keyStore()
	if err != nil {
		return RewrapStats{}, err
	}
	if batch <= 0 {
		batch = DefaultRewrapBatch
	}
	if _, err := a.Keys.Refresh(); err != nil {
		return RewrapStats{}, err
	}
	st := RewrapStats{To: a.Keys.ActiveID()}
	if st.Stale, err = a.stale(ctx, ks, st.To); err != nil {
		return st, err
	}
	start := navette.Event{Time: a.Config.Clock.Now(), ActorID: navette.LocalOperator, Type: navette.EventKeyRewrap, Detail: fmt.Sprintf("start to=%s stale=%d", st.To, st.Stale)}
	if err := a.Meta.AppendEvents(ctx, start); err != nil {
		return st, err
	}
	err = a.rewrap(ctx, ks, batch, &st, progress)
	return st, a.endRewrap(ctx, ks, &st, err)
}

// endRewrap counts in st the stored keys left under another key than st.To
// and journals the end of a re-wrap, which ended with err, even when ctx
// was cancelled. It returns err, or else the first error of its own.
func (a *App) endRewrap(ctx context.Context, ks navette.KeyStore, st *RewrapStats, err error) error {
	end := "done"
	if err != nil {
		end = "interrupted"
	}
	ectx := context.WithoutCancel(ctx)
	left, lerr := a.stale(ectx, ks, st.To)
	if lerr != nil {
		err = cmp.Or(err, lerr)
		left = -1
	}
	st.Left = left
	ev := navette.Event{Time: a.Config.Clock.Now(), ActorID: navette.LocalOperator, Type: navette.EventKeyRewrap,
		Detail: fmt.Sprintf("%s to=%s rewrapped=%d changed=%d failed=%d left=%d", end, st.To, st.Rewrapped, st.Changed, st.Failed, st.Left)}
	return cmp.Or(err, a.Meta.AppendEvents(ectx, ev))
}

// rewrap walks every column of ks for keys not under st.To.
func (a *App) rewrap(ctx context.Context, ks navette.KeyStore, batch int, st *RewrapStats, progress func(RewrapStats)) error {
	for _, c := range navette.KeyColumns {
		if err := a.rewrapColumn(ctx, ks, c, batch, st, progress); err != nil {
			return err
		}
	}
	if a.Outbox == nil {
		return nil
	}
	done, failed, err := a.Outbox.Rewrap(a.Keys.Rewrap)
	st.Rewrapped += done
	st.Failed += failed
	if progress != nil {
		progress(*st)
	}
	return err
}

// rewrapColumn re-wraps the stored keys of column c not under st.To, batch
// at a time, calling progress, if set, after each batch.
func (a *App) rewrapColumn(ctx context.Context, ks navette.KeyStore, c navette.KeyColumn, batch int, st *RewrapStats, progress func(RewrapStats)) error {
	after := ""
	for {
		keys, err := ks.KeysNotUnder(ctx, c, st.To, after, batch)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := a.rewrapKey(ctx, ks, c, k, st); err != nil {
				return err
			}
		}
		after = keys[len(keys)-1].ID
		if progress != nil {
			progress(*st)
		}
	}
}

// rewrapKey re-wraps the stored key k of column c under the active
// key-encryption key, with a compare-and-set, and counts the outcome in
// st. A key that cannot be opened is logged and counted, not an error.
func (a *App) rewrapKey(ctx context.Context, ks navette.KeyStore, c navette.KeyColumn, k navette.StoredKey, st *RewrapStats) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	to, err := a.Keys.Rewrap(k.Key, c.AD(k.ID))
	if err != nil {
		st.Failed++
		a.Config.Logger.Error("cannot re-wrap a stored key", "column", string(c), "id", k.ID, "kek", k.Key.KeyID, "err", err)
		return nil
	}
	if to.KeyID != st.To {
		// Rotated again meanwhile: the next run moves it on.
		st.To = to.KeyID
	}
	ok, err := ks.ReplaceKey(ctx, k, to)
	if err != nil {
		return err
	}
	if ok {
		st.Rewrapped++
	} else {
		st.Changed++
	}
	return nil
}

// stale counts the stored keys not under key id.
func (a *App) stale(ctx context.Context, ks navette.KeyStore, id string) (int, error) {
	counts, err := a.keyCounts(ctx, ks)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range counts {
		if c.KeyID != id {
			n += c.N
		}
	}
	return n, nil
}

// RetireAfter is how long after the active key-encryption key changed
// RetireKey refuses to destroy a key: long enough for every server on the
// directory to have reloaded it (they look every 5 s), so that none still
// wraps new keys under the old one after the check.
const RetireAfter = time.Minute

// RetireKey destroys the key-encryption key id and journals it. It is
// refused (ECONFLICT) while id is the active key, for RetireAfter after
// the active key changed, and while a stored key still needs id: the
// message then counts them per column. Running servers drop it within
// Config.KeyringInterval.
func (a *App) RetireKey(ctx context.Context, id string) error {
	ks, err := a.keyStore()
	if err != nil {
		return err
	}
	if err := a.retirable(id); err != nil {
		return err
	}
	counts, err := a.keyCounts(ctx, ks)
	if err != nil {
		return err
	}
	if needs := wrappedBy(counts, id); len(needs) > 0 {
		return navette.Errorf(navette.ECONFLICT, "Key-encryption key %s still wraps stored keys (%s): run \"navette admin key rewrap\" first.", id, strings.Join(needs, " "))
	}
	if err := a.Keys.Retire(id); err != nil {
		return err
	}
	return a.Meta.AppendEvents(ctx, navette.Event{Time: a.Config.Clock.Now(), ActorID: navette.LocalOperator, Type: navette.EventKeyRetired, Detail: id})
}

// retirable refuses (ECONFLICT) to retire the key-encryption key id while
// it is the active key, and for RetireAfter after the active key changed.
func (a *App) retirable(id string) error {
	if _, err := a.Keys.Refresh(); err != nil {
		return err
	}
	if id == a.Keys.ActiveID() {
		return navette.Errorf(navette.ECONFLICT, "Key-encryption key %s is the active key: rotate first.", id)
	}
	since, err := a.Keys.ActiveSince()
	if err != nil {
		return err
	}
	// The active file's time is the file system's: compare it with the
	// system's clock, not the platform's.
	if ready := since.Add(RetireAfter); time.Now().Before(ready) {
		// Told to the operator as every time of the command line: in Paris.
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			paris = time.UTC
		}
		return navette.Errorf(navette.ECONFLICT, "The active key changed at %s (Paris time): servers may still wrap new keys under %s until they reload; run \"navette admin key rewrap\" again, then retire after %s.",
			since.In(paris).Format(time.TimeOnly), id, ready.In(paris).Format(time.TimeOnly))
	}
	return nil
}

// wrappedBy returns, per column, how many stored keys key-encryption key
// id still wraps ("file=3"), none if it wraps none.
func wrappedBy(counts []navette.KeyCount, id string) []string {
	var needs []string
	for _, c := range counts {
		if c.KeyID == id {
			needs = append(needs, fmt.Sprintf("%s=%d", c.Column, c.N))
		}
	}
	return needs
}

// checkNewKeyring refuses to open the platform of cfg when its key
// directory holds no active key-encryption key, so that opening would make
// one, while its metadata store holds keys wrapped by key-encryption keys
// the directory lacks: a node started without the platform's keys (not
// yet copied, or not restored) could open none of them, and what it stored
// no other node could open. Returns EINVALID then.
func checkNewKeyring(cfg Config) error {
	dir := filepath.Join(cfg.DataDir, "keys")
	active, ids, err := keyring.Held(dir)
	if err != nil || active != "" {
		return nil // opening the keyring says what is wrong, or makes no key
	}
	m, err := OpenMeta(cfg.DB, cfg.DataDir)
	if err != nil {
		return err
	}
	defer m.Close()
	ks, ok := m.(navette.KeyStore)
	if !ok {
		return nil
	}
	counts, err := ks.CountKeys(context.Background())
	if err != nil {
		return err
	}
	n, missing := 0, map[string]bool{}
	for _, c := range counts {
		if !slices.Contains(ids, c.KeyID) {
			n += c.N
			missing[c.KeyID] = true
		}
	}
	if n == 0 {
		return nil
	}
	return navette.Errorf(navette.EINVALID, "%s holds no key-encryption key, but the database holds %d keys wrapped by %s: started so, this node would make a key of its own, open none of them, and store what no other node can open. Put the platform's key directory there (copied from a node of the platform, or restored: docs/operations.md, \"Backup and restore\") and start again.",
		dir, n, strings.Join(slices.Sorted(maps.Keys(missing)), ", "))
}

// checkNewJournalKey refuses (EINVALID) to open the platform of cfg when
// its key directory names no active journal signing key, so that opening
// would make one, while the journal has signed checkpoints: a node
// started without the platform's journal keys (not copied with the
// others) would sign with a key of its own, which no other node and no
// verifier knows.
func checkNewJournalKey(cfg Config) error {
	dir := filepath.Join(cfg.DataDir, "keys")
	if keyring.HasJournalKey(dir) {
		return nil
	}
	m, err := OpenMeta(cfg.DB, cfg.DataDir)
	if err != nil {
		return err
	}
	defer m.Close()
	_, err = m.LatestCheckpoint(context.Background())
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	return navette.Errorf(navette.EINVALID, "%s holds no journal signing key (journal-active), but the journal has signed checkpoints: started so, this node would sign with a key of its own, which no other node and no verifier knows. Put the platform's key directory there, journal-* files included (copied from a node of the platform, or restored: docs/operations.md, \"Backup and restore\") and start again.", dir)
}

// escapeKey percent-encodes (RFC 3986) the bytes of a verifier key that an
// event's detail cannot hold as they are (outside printable ASCII, and
// '%' itself), so that the key.rotated event states the key exactly: a
// journal's name may hold an accented host name (tribunal-évry.fr), which
// the detail would otherwise show with '?' in place of each letter.
// url.PathUnescape gives the key back.
func escapeKey(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
