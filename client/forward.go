package client

import (
	"context"
	"net/http"

	"navette/api"
)

// Forward passes a deposit the caller received on to agents or service
// mailboxes, and returns the forward: a new deposit, available at once,
// sharing the original's files.
func (c *Client) Forward(ctx context.Context, depositID string, in api.Forward) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodPost, c.endpoint(depositPath(depositID, "forward"), nil), in, http.StatusCreated)
}
