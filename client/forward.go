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

// ForwardOnce forwards as Forward does, once for the idempotency key key,
// retrying as CreateDepositOnce does: a forward whose answer was lost is
// not made twice, nor its recipients told twice.
func (c *Client) ForwardOnce(ctx context.Context, depositID string, in api.Forward, key string) (*api.Deposit, error) {
	return c.postOnce(ctx, c.endpoint(depositPath(depositID, "forward"), nil), in, key)
}
