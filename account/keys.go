package account

import (
	"context"

	"navette"
)

// JournalKey is the key a keys.rotate request names: the journal's
// signing key.
const JournalKey = "journal"

// RequestKeyRotate records a request by actor for a new signing key of
// key (JournalKey), which another platform admin must approve; the server
// that executes the approval makes it (RotateJournalKey). With the
// two-person rule off it makes it at once and returns nil. Returns
// EFORBIDDEN unless actor is a platform admin, EINVALID for another key,
// ENOTIMPLEMENTED if this server cannot rotate it.
func (s *Service) RequestKeyRotate(ctx context.Context, actor *navette.User, key, reason string) (*navette.AdminRequest, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if key != JournalKey {
		return nil, navette.Errorf(navette.EINVALID, "Only the journal's signing key (%q) is rotated by request.", JournalKey)
	}
	if s.RotateJournalKey == nil {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "This server cannot rotate the journal's signing key.")
	}
	params := navette.KeyParams{Key: key}
	if s.TwoPerson() {
		return s.propose(ctx, actor, navette.ActionKeysRotate, params, "", reason)
	}
	if _, err := checkReason(reason); err != nil {
		return nil, err
	}
	p, _, err := navette.CanonicalParams(params)
	if err != nil {
		return nil, err
	}
	return nil, s.rotateKey(ctx, actor, &navette.AdminRequest{Action: navette.ActionKeysRotate, Params: p})
}

// rotateKey makes the new key r asks for and journals it, with actor as
// the event's actor (Detail "[REQUEST_ID ]journal VERIFIER retired HASH
// at SIZE").
func (s *Service) rotateKey(ctx context.Context, actor *navette.User, r *navette.AdminRequest) error {
	var p navette.KeyParams
	if err := DecodeParams(r, &p); err != nil {
		return err
	}
	if p.Key != JournalKey || s.RotateJournalKey == nil {
		return navette.Errorf(navette.ENOTIMPLEMENTED, "This server cannot rotate the key %q.", p.Key)
	}
	detail := JournalKey
	if r.ID != "" {
		detail = r.ID + " " + detail
	}
	_, err := s.RotateJournalKey(ctx, navette.Event{Type: navette.EventKeyRotated, ActorID: actor.ID, Detail: detail})
	return err
}
