package account

import (
	"context"

	"navette"
)

// MaxSearchResults bounds a recipient search.
const MaxSearchResults = 50

// Recipients returns the people and service mailboxes actor may send a
// deposit to whose words start with those of text (case and accents
// ignored), at most limit of them (0: 20), by name. Staff find agents,
// service mailboxes and, but in internal mode, partners; partners find
// service mailboxes, and agents too if PartnersToAgents is set. Returns
// EFORBIDDEN if actor may not send deposits, EINVALID if text has no word
// of two characters or more.
func (s *Service) Recipients(ctx context.Context, actor *navette.User, text string, limit int) ([]*navette.User, error) {
	roles, err := s.recipientRoles(actor)
	if err != nil {
		return nil, err
	}
	if !searchable(text) {
		return nil, navette.Errorf(navette.EINVALID, "Type at least two letters of a name, an e-mail address, a bar, a court or a service.")
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, MaxSearchResults)
	us, err := s.Meta.SearchUsers(ctx, navette.UserFilter{Text: text, Roles: roles, Enabled: true, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	out := us[:0]
	for _, u := range us {
		if u.ID != actor.ID && len(out) < limit {
			out = append(out, u)
		}
	}
	return out, nil
}

// recipientRoles returns the roles of the people actor may send a deposit
// to. Returns EFORBIDDEN if actor may not send deposits.
func (s *Service) recipientRoles(actor *navette.User) ([]navette.Role, error) {
	switch actor.Role {
	case navette.RoleAgent, navette.RoleCourtAdmin:
		roles := []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RoleService}
		if !s.Internal {
			roles = append(roles, navette.RolePartner)
		}
		return roles, nil
	case navette.RolePartner:
		if s.Internal {
			return nil, navette.Errorf(navette.EFORBIDDEN, "Partners cannot send deposits on this platform.")
		}
		roles := []navette.Role{navette.RoleService}
		if s.PartnersToAgents {
			roles = append(roles, navette.RoleAgent, navette.RoleCourtAdmin)
		}
		return roles, nil
	}
	return nil, navette.Errorf(navette.EFORBIDDEN, "Your role does not allow sending deposits.")
}

// searchable reports whether a recipient search for text may run: at most
// 200 bytes, with a word of two characters or more.
func searchable(text string) bool {
	long := false
	for _, w := range navette.SearchWords(text) {
		long = long || len(w) >= 2
	}
	return long && len(text) <= 200
}
