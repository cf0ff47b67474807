package deposit

import (
	"context"

	"navette"
)

// page holds what the views of a page of deposits share, each read once
// for the page instead of once per deposit: their files and their cases in
// one query each, and the people who sent them, each read once.
type page struct {
	files map[string][]*navette.FileRecord
	cases map[string]string // nil without cases
	users map[string]*navette.User
}

// readPage reads the files and the cases of the deposits recs.
func (s *Service) readPage(ctx context.Context, recs []*navette.DepositRecord) (*page, error) {
	ids := make([]string, len(recs))
	for i, d := range recs {
		ids[i] = d.ID
	}
	files, err := s.Meta.FilesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	pg := &page{files: files, users: map[string]*navette.User{}}
	if cs := s.cases(); cs != nil && len(ids) > 0 {
		if pg.cases, err = cs.CasesOf(ctx, ids); err != nil {
			return nil, err
		}
	}
	return pg, nil
}

// user returns the user id, read once for the page; each view gets its
// own copy.
func (pg *page) user(ctx context.Context, s *Service, id string) (*navette.User, error) {
	if pg == nil {
		return s.Meta.User(ctx, id)
	}
	u, ok := pg.users[id]
	if !ok {
		var err error
		if u, err = s.Meta.User(ctx, id); err != nil {
			return nil, err
		}
		pg.users[id] = u
	}
	cp := *u
	return &cp, nil
}

// caseOf returns the case of the deposit id ("" if none).
func (pg *page) caseOf(ctx context.Context, s *Service, id string) (string, error) {
	if pg == nil {
		return s.caseOf(ctx, id)
	}
	return pg.cases[id], nil
}
