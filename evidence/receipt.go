package evidence

import (
	"context"

	"navette"
	"navette/proof"
	"navette/receipt"
)

func noReceipt() error { return navette.Errorf(navette.ENOTFOUND, "No such receipt.") }

// Receipt returns receipt rid as actor may have it: with its claims for
// the sender and auditors, and for recipients unless they name others.
// Returns ENOTFOUND, the same for a receipt that does not exist as for one
// of a deposit actor may not see, and EGONE once the deposit's proof
// retention ended.
func (s *Service) Receipt(ctx context.Context, actor *navette.User, rid string) (*receipt.Receipt, error) {
	depositID, leaf, ok := parseReceiptID(rid)
	if !ok {
		if actor != nil {
			s.deny(ctx, actor, "")
		}
		return nil, noReceipt()
	}
	a, err := s.access(ctx, actor, depositID)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, noReceipt()
	} else if err != nil {
		return nil, err
	}
	e, withClaims, err := s.receiptEvent(ctx, a, leaf)
	if err != nil {
		return nil, err
	}
	if e == nil {
		s.deny(ctx, actor, depositID)
		return nil, noReceipt()
	}
	cp, err := s.Checkpoints.CheckpointFor(ctx, leaf)
	if err != nil {
		return nil, err
	}
	return s.assemble(ctx, a.d, e, withClaims, cp)
}

// receiptEvent returns the event at leaf that has a receipt of the
// deposit a gives access to, and whether its claims go with it; nil when
// there is none the caller may have.
func (s *Service) receiptEvent(ctx context.Context, a *access, leaf int64) (*navette.Event, bool, error) {
	evs, err := s.liveReceiptEvents(ctx, a.d, s.Clock.Now())
	if err != nil {
		return nil, false, err
	}
	for i := range evs {
		if evs[i].Leaf != leaf {
			continue
		}
		ok, withClaims, err := s.visible(ctx, a, &evs[i])
		if err != nil || !ok {
			return nil, false, err
		}
		return &evs[i], withClaims, nil
	}
	return nil, false, nil
}

// assemble makes the receipt of event e of deposit d, resting on
// checkpoint cp, with its claims if withClaims.
func (s *Service) assemble(ctx context.Context, d *navette.DepositRecord, e *navette.Event, withClaims bool, cp *navette.Checkpoint) (*receipt.Receipt, error) {
	var (
		claims []byte
		err    error
	)
	if withClaims {
		if claims, err = s.claims(ctx, d, e); err != nil {
			return nil, err
		}
	}
	p, err := proof.Inclusion(ctx, s.Meta, e.Leaf, cp.Size)
	if err != nil {
		return nil, err
	}
	r, err := receipt.Assemble(receipt.Pieces{
		ID:       ReceiptID(d.ID, e.Leaf),
		Kind:     string(e.Type.ProofKind()),
		IssuedAt: s.Clock.Now(),
		Event: receipt.Event{
			Index: e.Leaf, Time: receipt.Time{Time: e.Time}, Type: string(e.Type), ActorID: e.ActorID, DepositID: e.DepositID,
			FileID: e.FileID, Size: e.Size, SHA256: e.SHA256, Detail: e.Detail, ClaimsSHA256: e.Claims,
		},
		Claims:     claims,
		Proof:      p,
		TreeSize:   cp.Size,
		Checkpoint: cp.Note,
		Timestamp:  cp.Token,
	})
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return r, nil
}
