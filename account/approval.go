package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"navette"
	"navette/notify"
)

// The two-person rule: an admin action that could give someone access to
// deposits they were not sent (a mailbox membership, the admin or auditor
// role, a revoked person restored, a directory flow forced past its
// revocation guard) is a request until another admin approves it, then
// runs once, with exactly the parameters approved, on its requester's
// authority. The local operator (navette admin … --data DIR) acts
// directly; Approvals 1 turns the rule off.

// TwoPerson reports whether the two-person rule holds.
func (s *Service) TwoPerson() bool { return s.Approvals != 1 }

// maxReason bounds the reason given with a request.
const maxReason = 500

// requestStore returns the store's RequestStore. Returns ENOTIMPLEMENTED if
// it has none.
func (s *Service) requestStore() (navette.RequestStore, error) {
	rs, ok := s.Meta.(navette.RequestStore)
	if !ok {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "This store keeps no admin requests.")
	}
	return rs, nil
}

// propose records a request by actor for action with params, reviewable by
// platform admins and, if courtID is set, that court's admins, and queues
// a notice to each who may approve it. Returns EFORBIDDEN if nobody may:
// the request would wait for nobody until it expired.
func (s *Service) propose(ctx context.Context, actor *navette.User, action navette.RequestAction, params any, courtID, reason string) (*navette.AdminRequest, error) {
	rs, err := s.requestStore()
	if err != nil {
		return nil, err
	}
	if reason, err = checkReason(reason); err != nil {
		return nil, err
	}
	p, h, err := navette.CanonicalParams(params)
	if err != nil {
		return nil, err
	}
	ttl := s.RequestTTL
	if ttl <= 0 {
		ttl = navette.DefaultRequestTTL
	}
	now := s.Clock.Now()
	r := &navette.AdminRequest{ID: navette.NewID(), RequesterID: actor.ID, Action: action, Params: p, ParamsHash: h,
		Reason: reason, CourtID: courtID, CreatedAt: now, ExpiresAt: now.Add(ttl), State: navette.RequestPending}
	reviewers, err := s.approvers(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(reviewers) == 0 {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No other administrator may approve this request: the two-person rule needs a second one whose access is active (a platform administrator, or for a mailbox's membership an administrator of its court other than the person it adds). Ask the platform's operator.")
	}
	ev := navette.Event{Time: now, Type: navette.EventRequestCreated, ActorID: actor.ID, Detail: requestDetail(r)}
	if ev.Notices, err = s.reviewerNotices(actor, r, reviewers); err != nil {
		return nil, err
	}
	if err := rs.CreateRequest(ctx, r, ev); err != nil {
		return nil, err
	}
	s.queued()
	return r, nil
}

// checkReason returns reason trimmed. Returns EINVALID if it is too long
// or not printable.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if !printable(reason, maxReason) {
		return "", navette.Errorf(navette.EINVALID, "A reason is at most %d printable characters.", maxReason)
	}
	return reason, nil
}

// requestDetail is the journal's detail of a request: "ID ACTION SHA256HEX".
func requestDetail(r *navette.AdminRequest) string {
	return r.ID + " " + string(r.Action) + " " + hex.EncodeToString(r.ParamsHash)
}

// approvers returns the admins who may approve r (reviewable): neither
// its requester nor the person it acts on, and only those whose access
// and role let them.
func (s *Service) approvers(ctx context.Context, r *navette.AdminRequest) ([]*navette.User, error) {
	all, err := s.reviewersOf(ctx, r)
	if err != nil {
		return nil, err
	}
	return approversAmong(all, r), nil
}

// reviewerNotices returns the notices telling reviewers that r, by actor,
// waits for their review.
func (s *Service) reviewerNotices(actor *navette.User, r *navette.AdminRequest, reviewers []*navette.User) ([]navette.Notice, error) {
	if s.Keys == nil {
		return nil, nil
	}
	d := &notify.Data{Sender: notify.Person{Name: actor.Name, Email: actor.Email}, Reason: r.Reason, ExpiresAt: r.ExpiresAt,
		Request: &notify.Request{ID: r.ID, Action: string(r.Action)}}
	var out []navette.Notice
	for _, u := range reviewers {
		n, err := notify.NewNotice(s.Keys, navette.NoticeApproval, u.ID, "", r.CreatedAt, d)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// reviewersOf returns the platform admins and, for a request about a
// court, that court's admins: who may review r.
func (s *Service) reviewersOf(ctx context.Context, r *navette.AdminRequest) ([]*navette.User, error) {
	f := navette.UserFilter{Roles: []navette.Role{navette.RoleAdmin}, Enabled: true, Limit: 1000}
	reviewers, err := s.Meta.SearchUsers(ctx, f)
	if err != nil || r.CourtID == "" {
		return reviewers, err
	}
	f.Roles, f.CourtID = []navette.Role{navette.RoleCourtAdmin}, r.CourtID
	more, err := s.Meta.SearchUsers(ctx, f)
	return append(reviewers, more...), err
}

// mayReview reports whether u may review r: platform admins every request,
// court admins the memberships of their court's mailboxes.
func mayReview(u *navette.User, r *navette.AdminRequest) bool {
	switch {
	case u == nil || u.Disabled:
		return false
	case u.Role == navette.RoleAdmin:
		return true
	}
	return u.Role == navette.RoleCourtAdmin && r.Action == navette.ActionAddMember && r.CourtID != "" && u.CourtID == r.CourtID
}

// RequestAddMember adds an agent to a service mailbox as AddMember does,
// but under the two-person rule it only records a request (returned) that
// another admin of the service's court must approve; with the rule off it
// adds them and returns nil. Returns what AddMember returns for the
// service and the user, and ECONFLICT if they are a member already.
func (s *Service) RequestAddMember(ctx context.Context, actor *navette.User, serviceID, userID, reason string) (*navette.AdminRequest, error) {
	return s.requestMember(ctx, actor, serviceID, reason, func() (*navette.User, error) { return s.Meta.User(ctx, userID) })
}

// RequestAddMemberByEmail is RequestAddMember for the user with the given
// e-mail.
func (s *Service) RequestAddMemberByEmail(ctx context.Context, actor *navette.User, serviceID, email, reason string) (*navette.AdminRequest, error) {
	return s.requestMember(ctx, actor, serviceID, reason, func() (*navette.User, error) {
		return s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	})
}

func (s *Service) requestMember(ctx context.Context, actor *navette.User, serviceID, reason string, find func() (*navette.User, error)) (*navette.AdminRequest, error) {
	if !s.TwoPerson() {
		return nil, s.addMember(ctx, actor, serviceID, find, direct)
	}
	svc, u, err := s.memberCheck(ctx, actor, serviceID, find)
	if err != nil {
		return nil, err
	}
	members, err := s.Meta.Members(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.UserID == u.ID {
			return nil, navette.Errorf(navette.ECONFLICT, "This agent is a member of the service already.")
		}
	}
	return s.propose(ctx, actor, navette.ActionAddMember, navette.MemberParams{ServiceID: svc.ID, UserID: u.ID}, svc.CourtID, reason)
}

// RequestSetRole changes a user's role as SetRole does, but granting the
// admin or auditor role under the two-person rule only records a request
// (returned, with the user unchanged) that another platform admin must
// approve. Returns what SetRole returns, ECONFLICT if the user has the role
// already.
func (s *Service) RequestSetRole(ctx context.Context, actor *navette.User, userID string, role navette.Role, reason string) (*navette.User, *navette.AdminRequest, error) {
	if !s.TwoPerson() || (role != navette.RoleAdmin && role != navette.RoleAuditor) {
		u, err := s.SetRole(ctx, actor, userID, role)
		return u, nil, err
	}
	if err := platformAdmin(actor); err != nil {
		return nil, nil, err
	}
	u, err := s.Meta.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRoleChange(u.Role, role); err != nil {
		return nil, nil, err
	}
	if u.Role == role {
		return nil, nil, navette.Errorf(navette.ECONFLICT, "This user has the role %s already.", role)
	}
	r, err := s.propose(ctx, actor, navette.ActionGrantRole, navette.RoleParams{UserID: u.ID, Role: role}, "", reason)
	return u, r, err
}

// RequestSetDisabled revokes or restores a user's access as SetDisabled
// does, but restoring a revoked person under the two-person rule only
// records a request (returned, with the user unchanged) that another
// platform admin must approve. Returns what SetDisabled returns.
func (s *Service) RequestSetDisabled(ctx context.Context, actor *navette.User, userID string, disabled bool, reason string) (*navette.User, *navette.AdminRequest, error) {
	if !s.TwoPerson() || disabled {
		u, err := s.SetDisabled(ctx, actor, userID, disabled)
		return u, nil, err
	}
	if err := platformAdmin(actor); err != nil {
		return nil, nil, err
	}
	if userID == actor.ID {
		return nil, nil, navette.Errorf(navette.ECONFLICT, "You cannot revoke your own access.")
	}
	u, err := s.Meta.User(ctx, userID)
	if err != nil || !u.Disabled {
		return u, nil, err
	}
	r, err := s.propose(ctx, actor, navette.ActionRestoreUser, navette.UserParams{UserID: u.ID}, "", reason)
	return u, r, err
}

// RequestForceDirectory records a request by actor to apply the directory
// flow of source whose bytes hash to sha256Hex past its revocation guard.
// Once approved, the requester posts the same flow again with the
// request's id (ClaimForceDirectory). Returns EFORBIDDEN unless actor is a
// platform admin, EINVALID for a hash that is not 64 hex digits.
func (s *Service) RequestForceDirectory(ctx context.Context, actor *navette.User, source, sha256Hex, reason string) (*navette.AdminRequest, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if b, err := hex.DecodeString(sha256Hex); err != nil || len(b) != sha256.Size {
		return nil, navette.Errorf(navette.EINVALID, "A flow is known by the 64 hex digits of its SHA-256.")
	}
	return s.propose(ctx, actor, navette.ActionForceDirectory, navette.DirectoryParams{Source: source, SHA256: strings.ToLower(sha256Hex)}, "", reason)
}

// ClaimForceDirectory uses the approved request id to force the directory
// flow of source hashing to sha256Hex, once: it is marked executed and
// journaled, and the caller applies the flow. Returns ENOTFOUND if there
// is no such request, EFORBIDDEN unless actor requested it, ECONFLICT
// unless it is an approved directory request for exactly this flow (the
// parameters approved), EGONE if it expired: marked expired then, if no
// sweep did yet, journaled and its requester told, as the sweep does.
func (s *Service) ClaimForceDirectory(ctx context.Context, actor *navette.User, id, source, sha256Hex string) error {
	rs, err := s.requestStore()
	if err != nil {
		return err
	}
	p, h, err := navette.CanonicalParams(navette.DirectoryParams{Source: source, SHA256: strings.ToLower(sha256Hex)})
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	nm := s.expiryNames(ctx, rs, id, now)
	expired := false
	err = rs.UpdateRequest(ctx, id, func(r *navette.AdminRequest) ([]navette.Event, error) {
		if actor != nil && r.RequesterID == actor.ID && r.Action == navette.ActionForceDirectory {
			evs, ok, err := s.expire(r, now, actor.ID, nm)
			if ok || err != nil {
				expired = ok
				return evs, err
			}
		}
		if err := claimable(actor, r, now, p, h); err != nil {
			return nil, err
		}
		r.State, r.ExecutedAt = navette.RequestExecuted, now
		return []navette.Event{{Time: now, Type: navette.EventRequestExecuted, ActorID: actor.ID, Detail: requestDetail(r)}}, nil
	})
	if err == nil && expired {
		s.queued()
		return navette.Errorf(navette.EGONE, "This request expired.")
	}
	return err
}

// claimable returns nil if actor may use r now to force the flow whose
// parameters are p, hashing to h.
func claimable(actor *navette.User, r *navette.AdminRequest, now time.Time, p, h []byte) error {
	switch {
	case actor == nil || r.RequesterID != actor.ID:
		return navette.Errorf(navette.EFORBIDDEN, "Only the admin who made this request may use it.")
	case r.Action == navette.ActionForceDirectory && r.State == navette.RequestExpired:
		return navette.Errorf(navette.EGONE, "This request expired.")
	case r.Action != navette.ActionForceDirectory || r.State != navette.RequestApproved:
		return navette.Errorf(navette.ECONFLICT, "This request is not an approved directory request waiting to be used.")
	case !now.Before(r.ExpiresAt):
		return navette.Errorf(navette.EGONE, "This request expired.")
	case !paramsIntact(r) || !bytes.Equal(r.Params, p) || !bytes.Equal(r.ParamsHash, h):
		return navette.Errorf(navette.ECONFLICT, "This flow is not the one approved: its parameters changed.")
	}
	return nil
}

// paramsIntact reports whether r's parameters still hash to the hash
// recorded (and approved).
func paramsIntact(r *navette.AdminRequest) bool {
	h := sha256.Sum256(r.Params)
	return bytes.Equal(h[:], r.ParamsHash)
}

// Requests returns the requests actor may review or made, newest first,
// with state (if set): platform admins see all, court admins those of their
// court and their own. A pending request past its expiry is returned as
// expired. Returns EFORBIDDEN unless actor is an admin.
func (s *Service) Requests(ctx context.Context, actor *navette.User, state navette.RequestState) ([]*navette.AdminRequest, error) {
	if !anyAdmin(actor) {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only administrators may do this.")
	}
	rs, err := s.requestStore()
	if err != nil {
		return nil, err
	}
	f := navette.RequestFilter{State: state, Limit: 500}
	if state == navette.RequestExpired {
		f.State = ""
	}
	all, err := rs.Requests(ctx, f)
	if err != nil {
		return nil, err
	}
	return visibleRequests(actor, all, state, s.Clock.Now()), nil
}

// visibleRequests returns the requests of all that actor may see and that
// are in state (if set) at now.
func visibleRequests(actor *navette.User, all []*navette.AdminRequest, state navette.RequestState, now time.Time) []*navette.AdminRequest {
	var out []*navette.AdminRequest
	for _, r := range all {
		showExpiry(r, now)
		if (state == "" || r.State == state) && visible(actor, r) {
			out = append(out, r)
		}
	}
	return out
}

// showExpiry marks r expired if it is pending, or approved and waiting to
// be used, past its expiry (expires), as the pages and the API show it.
func showExpiry(r *navette.AdminRequest, now time.Time) {
	if expires(r, now) {
		r.State = navette.RequestExpired
	}
}

// DecodeParams decodes r's parameters into v.
func DecodeParams(r *navette.AdminRequest, v any) error {
	if err := json.Unmarshal(r.Params, v); err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "The request's parameters cannot be read.")
	}
	return nil
}

// RequestView is a request as a review page shows it: the people and
// mailbox its parameters name, and what the viewer may do with it.
type RequestView struct {
	*navette.AdminRequest
	Requester *navette.User     // nil if unknown
	Subject   *navette.User     // the person it gives access to; nil for a directory request
	Service   *navette.User     // the mailbox, for a membership
	Role      navette.Role      // the role granted
	Source    string            // the directory flow, forced
	FlowHash  string            // its SHA-256 (hex)
	Level     navette.Assurance // the minimum assurance of Role, for a policy request
	Bypass    bool              // files offered unscanned, for a policy request
	// Reviewable is set when the viewer may approve or reject it now;
	// Withdrawable when it is theirs and pending.
	Reviewable, Withdrawable bool
}

// Views returns rs as viewer sees them, for a review page.
func (s *Service) Views(ctx context.Context, viewer *navette.User, rs []*navette.AdminRequest) []RequestView {
	user := func(id string) *navette.User { return s.userOrNil(ctx, id) }
	out := make([]RequestView, 0, len(rs))
	for _, r := range rs {
		v := RequestView{AdminRequest: r, Requester: user(r.RequesterID)}
		pending := r.State == navette.RequestPending
		v.Reviewable = pending && reviewable(viewer, r) == nil
		v.Withdrawable = pending && viewer.ID == r.RequesterID
		var p struct {
			navette.MemberParams
			Role   navette.Role `json:"role"`
			Source string       `json:"source"`
			SHA256 string       `json:"sha256"`
			navette.AssuranceParams
			navette.AntivirusParams
		}
		if DecodeParams(r, &p) == nil {
			v.Subject, v.Service, v.Role, v.Source, v.FlowHash = user(p.UserID), user(p.ServiceID), p.Role, p.Source, p.SHA256
			v.Level, v.Bypass = p.Level, p.Bypass
		}
		out = append(out, v)
	}
	return out
}
