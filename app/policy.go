package app

import (
	"context"
	"time"

	"navette"
)

// applyPolicy makes the services follow the security policy kept in the
// database (navette.Policy), read through the account service's cache, and
// lets an approved keys.rotate request rotate this node's journal key.
func (a *App) applyPolicy() {
	a.Auth.PolicyMinimum = a.Accounts.MinimumAssurance
	a.Deposits.AntivirusBypassed = a.Accounts.AntivirusBypassed
	if a.JournalKeys != nil {
		a.Accounts.RotateJournalKey = func(ctx context.Context, ev navette.Event) (string, error) { return a.rotateJournalKey(ctx, "", ev) }
	}
}

// checkPolicy reads the security policy at start-up (a policy that cannot
// be read fails the start) and journals, as the local operator's act, each
// start-up flag weaker than it: the antivirus off while the policy has
// files scanned (files are then offered unscanned), a minimum assurance
// below the policy's (the policy's applies).
func (a *App) checkPolicy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, err := a.Accounts.Policy(ctx)
	if err != nil {
		return err
	}
	var evs []navette.Event
	now := a.Config.Clock.Now()
	for _, detail := range a.weakerThan(p) {
		evs = append(evs, navette.Event{Time: now, Type: navette.EventPolicyOverridden, ActorID: navette.LocalOperator, Detail: detail})
		a.Config.Logger.Warn("a start-up setting is weaker than the security policy: journaled as the local operator's act", "setting", detail)
	}
	if len(evs) == 0 {
		return nil
	}
	return a.Meta.AppendEvents(ctx, evs...)
}

// weakerThan returns the start-up settings weaker than the policy p, as
// the details of their events: "antivirus=off policy=scan",
// "min_assurance ROLE=FLAG policy=MINIMUM".
func (a *App) weakerThan(p *navette.Policy) []string {
	var weaker []string
	if a.Deposits.Antivirus == nil && !p.AntivirusBypass {
		weaker = append(weaker, "antivirus=off policy=scan")
	}
	for _, role := range p.Roles() {
		flag := a.Auth.Config.MinAssurance[role]
		if flag.Rank() < p.Minimum(role).Rank() {
			if flag == "" {
				flag = "none"
			}
			weaker = append(weaker, "min_assurance "+string(role)+"="+string(flag)+" policy="+string(p.Minimum(role)))
		}
	}
	return weaker
}
