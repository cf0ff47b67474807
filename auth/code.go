package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"navette"
	"navette/account"
	"navette/notify"
)

// CodeDigits is the length of an e-mailed sign-in code.
const CodeDigits = 8

// codeAllowed reports whether u may sign in with an e-mailed code.
func (s *Service) codeAllowed(u *navette.User) bool {
	if !s.allowed(u) {
		return false
	}
	return u.Role == navette.RolePartner || s.Config.StaffCodes
}

// RequestCode e-mails a one-time sign-in code to email if it belongs to
// someone who may sign in that way. The answer, and the time it takes, are
// the same whether or not it does, and whether or not the address's hourly
// allowance of codes is spent. Returns EINVALID for a malformed address and
// ETOOMANY if the client address made too many requests.
func (s *Service) RequestCode(ctx context.Context, email, ip string) error {
	defer s.answerAfter(ctx, time.Now())
	now := s.Clock.Now()
	email, err := s.admitEmailed("code", ip, email, now,
		navette.Errorf(navette.ETOOMANY, "Too many sign-in requests from your network: try again in an hour."))
	if err != nil {
		return err
	}
	u, err := s.codeUser(ctx, email)
	if err != nil || u == nil {
		return err
	}
	recent, err := s.Meta.SignInCodes(ctx, u.ID, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if len(recent) >= s.Config.CodesPerHour {
		return nil
	}
	code := newCode()
	c := &navette.SignInCode{
		ID:        navette.NewID(),
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.Config.CodeTTL),
	}
	c.Hash = s.Codes.Sum(codeMessage(c.ID, code))
	n, err := notify.NewNotice(s.Keys, navette.NoticeSignInCode, u.ID, "", now, &notify.Data{Code: FormatCode(code), CodeExpiresAt: c.ExpiresAt})
	if err != nil {
		return err
	}
	ev := navette.Event{Time: now, Type: navette.EventSignInCodeSent, ActorID: u.ID, Notices: []navette.Notice{n}}
	if err := s.Meta.CreateSignInCode(ctx, c, ev); err != nil {
		return err
	}
	s.queued()
	return nil
}

// admitEmailed admits a request of kind (a code, a recovery) to e-mail
// the address email, from the client address ip: it returns tooMany if ip
// made PerIPPerHour such requests in the hour, EINVALID for a malformed
// address, and else the address normalized.
func (s *Service) admitEmailed(kind, ip, email string, now time.Time, tooMany error) (string, error) {
	if !s.limits.allow(kind+" "+network(ip), s.Config.PerIPPerHour, now) {
		return "", tooMany
	}
	email = navette.NormalizeEmail(email)
	if err := account.ValidateEmail(email); err != nil {
		return "", err
	}
	return email, nil
}

// codeUser returns the person of the normalized address email if they may
// sign in with an e-mailed code; nil, and no error, if there is none.
func (s *Service) codeUser(ctx context.Context, email string) (*navette.User, error) {
	u, err := s.Meta.UserByEmail(ctx, email)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !s.codeAllowed(u) {
		return nil, nil
	}
	return u, nil
}

// answerAfter waits until Config.AnswerTime has passed since start, so that
// an answer's time tells nothing of the work done for it.
func (s *Service) answerAfter(ctx context.Context, start time.Time) {
	if d := s.Config.AnswerTime - time.Since(start); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
}

// newCode returns CodeDigits random decimal digits, uniformly drawn.
func newCode() string {
	max := big.NewInt(1)
	for range CodeDigits {
		max.Mul(max, big.NewInt(10))
	}
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%0*d", CodeDigits, n)
}

// codeMessage is what the stored digest of code, sent as the sign-in code
// id, is made of. Codes stored before digests were keyed (plain SHA-256)
// never match: they simply stop working, and lived 10 minutes anyway.
func codeMessage(id, code string) []byte {
	return []byte("navette sign-in code v1\x00" + id + "\x00" + code)
}

// FormatCode groups a code's digits by four, as e-mails show it.
func FormatCode(code string) string {
	if len(code) == 8 {
		return code[:4] + " " + code[4:]
	}
	return code
}

// normalizeCode keeps the digits of what a person typed.
func normalizeCode(code string) string {
	var b strings.Builder
	for _, r := range code {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r != ' ' && r != '-' {
			return ""
		}
	}
	return b.String()
}

// VerifyCode checks the last code sent to email and, if it matches, starts
// a session awaiting the second factor (StageSecondFactor, or StageEnrol if
// the person has none yet). Only the newest code counts; it is burnt after
// MaxTries wrong tries. Returns EUNAUTHORIZED, the same whatever went wrong,
// and ETOOMANY if the client address made too many attempts. A refusal
// takes the same time whether or not email has an account, or a code.
func (s *Service) VerifyCode(ctx context.Context, email, code, ip string) (is *Issued, err error) {
	defer func(start time.Time) {
		if err != nil {
			s.answerAfter(ctx, start)
		}
	}(time.Now())
	now := s.Clock.Now()
	if !s.limits.allow("verify "+network(ip), 10*s.Config.PerIPPerHour, now) {
		return nil, navette.Errorf(navette.ETOOMANY, "Too many sign-in attempts from your network: try again in an hour.")
	}
	code = normalizeCode(code)
	u, err := s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if navette.IsCode(err, navette.ENOTFOUND) {
		s.Codes.Verify(codeMessage(email, code), nil)
		return nil, unauthorized()
	} else if err != nil {
		return nil, err
	}
	if !s.codeAllowed(u) || len(code) != CodeDigits {
		return nil, unauthorized()
	}
	if err := s.useCode(ctx, u, code, now); err != nil {
		return nil, err
	}
	return s.afterCode(ctx, u)
}

// useCode checks code against the newest code sent to u and marks it
// used if it matches; a wrong code counts a try and is journaled. Returns
// EUNAUTHORIZED if there is no code, it is used, expired or burnt, or
// code does not match.
func (s *Service) useCode(ctx context.Context, u *navette.User, code string, now time.Time) error {
	codes, err := s.Meta.SignInCodes(ctx, u.ID, now.Add(-s.Config.CodeTTL))
	if err != nil {
		return err
	}
	// A code already used, expired or burnt is refused from the read,
	// without taking the write lock its check needs.
	if len(codes) == 0 || s.codeSpent(codes[0], now) {
		return unauthorized()
	}
	ok := false
	err = s.Meta.UpdateSignInCode(ctx, codes[0].ID, func(c *navette.SignInCode) ([]navette.Event, error) {
		if s.codeSpent(c, now) {
			return nil, unauthorized()
		}
		if s.Codes.Verify(codeMessage(c.ID, code), c.Hash) {
			c.UsedAt, ok = now, true
			return nil, nil
		}
		c.Attempts++
		detail := "wrong code"
		if c.Attempts >= s.Config.MaxTries {
			detail = "code burnt"
		}
		return []navette.Event{{Time: now, Type: navette.EventSignInFailed, ActorID: u.ID, Detail: detail}}, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return unauthorized()
	}
	return nil
}

// codeSpent reports whether the sign-in code c is used, expired at now, or
// burnt by MaxTries wrong tries.
func (s *Service) codeSpent(c *navette.SignInCode, now time.Time) bool {
	return !c.UsedAt.IsZero() || !now.Before(c.ExpiresAt) || c.Attempts >= s.Config.MaxTries
}

// afterCode starts the session of u, who gave a right e-mailed code, at
// the next step: the second factor, or its enrolment if u has none or an
// admin approved their recovery request (the enrolment then completes it).
func (s *Service) afterCode(ctx context.Context, u *navette.User) (*Issued, error) {
	recovery, err := s.approvedRecovery(ctx, u)
	if err != nil {
		return nil, err
	}
	stage := navette.StageSecondFactor
	if recovery != "" {
		stage = navette.StageEnrol
	} else if u.TOTP.IsZero() {
		if has, err := s.HasPasskeys(ctx, u); err != nil {
			return nil, err
		} else if !has {
			stage = navette.StageEnrol
		}
	}
	is, err := s.issue(ctx, u, stage, "code", nil, nil)
	if err != nil || recovery == "" {
		return is, err
	}
	if err := s.savePending(ctx, is.Session, &pending{Recovery: recovery}); err != nil {
		return nil, err
	}
	return is, nil
}
