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
	var d api.Deposit
	if err := c.doJSON(ctx, http.MethodPost, c.endpoint(depositPath(depositID, "forward"), nil), in, &d, http.StatusCreated); err != nil {
		return nil, err
	}
	return &d, nil
}
