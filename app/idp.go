package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"navette/auth"
	"navette/oidc"
)

// lazyOIDC is the ministry's identity provider, discovered on first use and
// again after a failure, so that a node starts while the provider is down
// and recovers when it is back.
type lazyOIDC struct {
	cfg    oidc.Config
	client *http.Client

	mu sync.Mutex
	p  *oidc.Provider
}

func (l *lazyOIDC) provider(ctx context.Context) (*oidc.Provider, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p != nil {
		return l.p, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p, err := oidc.New(ctx, l.cfg, l.client)
	if err != nil {
		return nil, err
	}
	l.p = p
	return p, nil
}

// AuthURL returns where to send the browser, or "" if the provider cannot
// be reached (StartOIDC then reports it).
func (l *lazyOIDC) AuthURL(state, nonce, verifier string) string {
	p, err := l.provider(context.Background())
	if err != nil {
		return ""
	}
	return p.AuthURL(state, nonce, verifier)
}

// Exchange trades the code for the verified identity.
func (l *lazyOIDC) Exchange(ctx context.Context, code, verifier, nonce string) (*auth.Identity, error) {
	p, err := l.provider(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.Exchange(ctx, code, verifier, nonce)
	if err != nil {
		return nil, err
	}
	return &auth.Identity{Subject: c.Subject, Email: c.Email, EmailVerified: c.EmailVerified, ACR: c.ACR}, nil
}
