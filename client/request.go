package client

import (
	"context"
	"net/http"
	"net/url"

	"navette/api"
)

// Requests returns the requests of the two-person rule the caller may
// review or made, newest first; with state, only those in it (pending,
// approved, rejected, executed, expired).
func (c *Client) Requests(ctx context.Context, state string) (*api.RequestList, error) {
	var qv url.Values
	if state != "" {
		qv = url.Values{"state": {state}}
	}
	return callJSON[api.RequestList](ctx, c, http.MethodGet, c.endpoint(api.PathAdminRequests, qv), nil, http.StatusOK)
}

// Request returns the request id.
func (c *Client) Request(ctx context.Context, id string) (*api.Request, error) {
	return callJSON[api.Request](ctx, c, http.MethodGet, c.endpoint(api.PathAdminRequests+"/"+url.PathEscape(id), nil), nil, http.StatusOK)
}

// ReviewRequest approves (approve) or rejects the request id. sha256, for
// an approval, is the hex SHA-256 of the parameters the caller reviewed:
// the server refuses the approval if they differ.
func (c *Client) ReviewRequest(ctx context.Context, id string, approve bool, sha256 string) (*api.Request, error) {
	verb, in := "reject", any(nil)
	if approve {
		verb, in = "approve", api.Approve{SHA256: sha256}
	}
	return callJSON[api.Request](ctx, c, http.MethodPost, c.endpoint(api.PathAdminRequests+"/"+url.PathEscape(id)+"/"+verb, nil), in, http.StatusOK)
}
