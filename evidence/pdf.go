package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"

	"navette"
	"navette/pdf"
	"navette/receipt"
)

// ReceiptJSON returns receipt rid as its JSON document, as Receipt gives
// it.
func (s *Service) ReceiptJSON(ctx context.Context, actor *navette.User, rid string) ([]byte, error) {
	_, b, err := s.receiptJSON(ctx, actor, rid)
	return b, err
}

// receiptJSON returns receipt rid, as Receipt gives it, and its JSON
// document.
func (s *Service) receiptJSON(ctx context.Context, actor *navette.User, rid string) (*receipt.Receipt, []byte, error) {
	r, err := s.Receipt(ctx, actor, rid)
	if err != nil {
		return nil, nil, err
	}
	b, err := r.Marshal()
	if err != nil {
		return nil, nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return r, b, nil
}

// ReceiptPDF returns receipt rid as a PDF attestation with its JSON
// attached, as Receipt gives it.
func (s *Service) ReceiptPDF(ctx context.Context, actor *navette.User, rid string) ([]byte, error) {
	r, b, err := s.receiptJSON(ctx, actor, rid)
	if err != nil {
		return nil, err
	}
	return s.renderPDF(ctx, r, b)
}

// renderPDF makes the attestation of receipt r, whose JSON is js: what it
// states is what verifying r proves, so the PDF never says more than the
// receipt.
func (s *Service) renderPDF(ctx context.Context, r *receipt.Receipt, js []byte) ([]byte, error) {
	res, err := s.verify(r)
	if err != nil {
		return nil, err
	}
	a := &pdf.Attestation{
		Kind:      res.Kind,
		ID:        r.ID,
		IssuedAt:  r.IssuedAt.Time,
		Operator:  s.Operator,
		Platform:  "navette",
		DepositID: r.DepositID,
		Events:    []pdf.Event{{Index: res.Event.Index, Time: res.Time, Type: res.Event.Type}},
		Checkpoint: pdf.Checkpoint{Origin: res.Origin, Size: res.TreeSize, RootHash: base64.StdEncoding.EncodeToString(res.Root[:]),
			KeyName: res.Key.Name(), KeyHash: fmt.Sprintf("%08x", res.Key.KeyHash())},
		JSON: js,
	}
	if s.PublicURL != "" {
		a.KeysURL = s.PublicURL + "/api/v1/journal/keys"
	}
	if res.TSA != nil {
		a.Time = pdf.TimeSource{TSA: res.TSA.Subject, Time: res.TSA.Time, Serial: res.TSA.Serial, Chained: res.TSA.Trusted}
	}
	if c := res.Claims; c != nil {
		attestClaims(a, c)
	} else if res.Event.FileID != "" && len(res.Event.SHA256) > 0 {
		// Without claims (withheld, or an event older than the evidence),
		// the journal still gives the file's size and SHA-256.
		a.Files = []pdf.File{{Size: res.Event.Size, SHA256: hex.EncodeToString(res.Event.SHA256)}}
	}
	var buf bytes.Buffer
	if err := pdf.Write(ctx, &buf, a); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// verify verifies r as its attestation states it: its time-stamp token
// against the authority's roots, when set. A token that does not chain to
// them (one stamped before --tsa-ca named other roots) is verified as
// without roots, and the attestation says only its signature was checked.
func (s *Service) verify(r *receipt.Receipt) (*receipt.Result, error) {
	res, err := receipt.Verify(r, s.Verifiers(), &receipt.Options{TSARoots: s.TSARoots})
	if err != nil && s.TSARoots != nil {
		var unrooted error
		if res, unrooted = receipt.Verify(r, s.Verifiers(), nil); unrooted == nil {
			s.log().Warn("a receipt's time-stamp token does not chain to the time-stamping authority's roots (--tsa-ca): its attestation says only the token's signature was checked",
				"receipt", r.ID, "err", err)
			return res, nil
		}
	}
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return res, nil
}

// attestClaims adds to a what the verified claims c state.
func attestClaims(a *pdf.Attestation, c *receipt.Claims) {
	if c.Deposit != nil {
		a.Reference, a.CreatedAt, a.ExpiresAt = c.Deposit.Reference, c.Deposit.CreatedAt.Time, c.Deposit.ExpiresAt.Time
	}
	a.Sender = pdfParty(c.Sender)
	for i := range c.Recipients {
		a.Recipients = append(a.Recipients, *pdfParty(&c.Recipients[i]))
	}
	a.By = pdfActor(c.By)
	a.For = pdfParty(c.For)
	for i := range c.NotFetchedBy {
		a.NotFetchedBy = append(a.NotFetchedBy, *pdfParty(&c.NotFetchedBy[i]))
	}
	for i := range c.PartlyFetchedBy {
		p := &c.PartlyFetchedBy[i]
		a.PartlyFetchedBy = append(a.PartlyFetchedBy, pdf.Partial{Party: *pdfParty(&p.Party), Fetched: fileNumbers(c, p.Fetched), NotFetched: fileNumbers(c, p.NotFetched)})
	}
	if c.Notice != nil {
		a.Notice = &pdf.Notice{To: c.Notice.To, MessageID: c.Notice.MessageID, AcceptedAt: c.Notice.AcceptedAt.Time}
	}
	a.Files = append(a.Files, pdfFiles(c)...)
	a.Antivirus = c.Antivirus
}

// fileNumbers returns the numbers (from 1) in the claims' files of the
// files of ids, as the attestation's table numbers them.
func fileNumbers(c *receipt.Claims, ids []string) []int {
	var out []int
	for _, id := range ids {
		if i := slices.IndexFunc(c.Files, func(f receipt.File) bool { return f.ID == id }); i >= 0 {
			out = append(out, i+1)
		}
	}
	return out
}

// pdfActor returns the actor of the claims as the attestation shows them,
// with how they signed in; nil for none.
func pdfActor(by *receipt.Actor) *pdf.Party {
	if by == nil {
		return nil
	}
	p := &pdf.Party{Name: by.Name, Email: by.Email}
	if by.Auth != nil {
		p.Auth = &pdf.Auth{Method: by.Auth.Method, At: by.Auth.At.Time, Level: by.Auth.Level}
	}
	return p
}

// pdfFiles returns the files the claims c name (the one file of the event,
// or the deposit's files) as the attestation lists them.
func pdfFiles(c *receipt.Claims) []pdf.File {
	files := c.Files
	if c.File != nil {
		files = []receipt.File{*c.File}
	}
	var out []pdf.File
	for _, f := range files {
		pf := pdf.File{Name: f.Name, Size: f.Size, SHA256: hex.EncodeToString(f.SHA256)}
		if f.Check != "" {
			pf.Check = receipt.CheckText(f.Check, "fr")
		}
		out = append(out, pf)
	}
	return out
}

func pdfParty(p *receipt.Party) *pdf.Party {
	if p == nil {
		return nil
	}
	return &pdf.Party{Name: p.Name, Email: p.Email, Org: p.Org, Kind: p.Kind}
}
