package app

import (
	"context"
	"os"
	"time"

	"navette"
	"navette/api"
	"navette/directory"
	"navette/ldap"
)

// LDAPSource is the directory source of users synced from LDAP.
const LDAPSource = "ldap"

// openLDAP makes the ministry directory of cfg.LDAP, if set.
func (a *App) openLDAP() error {
	if a.Config.LDAP == "" {
		return nil
	}
	getenv := a.Config.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	lc, err := ldap.ParseConfig(a.Config.LDAP, getenv)
	if err != nil {
		return err
	}
	if a.LDAP, err = ldap.New(lc); err != nil {
		return err
	}
	if a.Config.LDAPSignIn {
		a.Auth.LDAP = a.LDAP
	}
	return nil
}

// SyncLDAP fetches the ministry directory and applies it: agents, courts,
// service mailboxes and their members. Returns ENOTIMPLEMENTED if no LDAP
// directory is configured, and what directory.Sync.ApplySnapshot returns:
// a refusal by the revocation guard with the report, which says who would
// be revoked.
func (a *App) SyncLDAP(ctx context.Context, opt directory.Options) (*directory.Report, error) {
	if a.LDAP == nil {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "No LDAP directory is configured.")
	}
	snap, err := a.LDAP.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := a.Directory.ApplySnapshot(ctx, LDAPSource, snap, opt)
	if rep == nil {
		return nil, err
	}
	return rep.Report, err
}

// ldapLoop syncs the ministry directory every LDAPSyncInterval, on one node
// at a time when the store is shared.
func (a *App) ldapLoop(ctx context.Context) {
	if a.LDAP == nil || a.Config.LDAPSyncInterval < 0 {
		return
	}
	t := newTicker(a.Config.LDAPSyncInterval, time.Hour)
	defer t.Stop()
	for {
		a.logFailure(ctx, "ldap sync failed", a.syncLDAPTurn(ctx))
		if !tick(ctx, t.C) {
			return
		}
	}
}

// ldapForceHint is how an admin applies a sync that the background one
// found over the revocation guard: no command forces it, the API does
// (under the two-person rule, once a second admin approved it).
const ldapForceHint = "POST " + api.PathAdminLDAPSync + "?force=1"

// syncLDAPTurn syncs the ministry directory, on one node at a time when the
// store is shared, and logs what changed.
func (a *App) syncLDAPTurn(ctx context.Context) error {
	sync := func(ctx context.Context) error {
		rep, err := a.SyncLDAP(ctx, directory.Options{ForceHint: ldapForceHint})
		if err == nil && (len(rep.Added)+len(rep.Updated)+len(rep.Revoked)+len(rep.Restored)) > 0 {
			a.Config.Logger.Info("ldap sync", "added", len(rep.Added), "updated", len(rep.Updated), "revoked", len(rep.Revoked), "restored", len(rep.Restored))
		}
		return err
	}
	if ex, ok := a.Meta.(interface {
		Exclusive(context.Context, func(context.Context) error) (bool, error)
	}); ok {
		_, err := ex.Exclusive(ctx, sync)
		return err
	}
	return sync(ctx)
}
