package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"navette/api"
)

// UserQuery selects people on the users page (Users): words of a name or
// an address, a role, a status (enabled, disabled), a directory, and the
// cursor of the page (a previous page's Next).
type UserQuery struct {
	Text, Role, Status, Directory, Cursor string
	Limit                                 int // 0: the server's default
}

// Users returns a page of the people the caller manages (everyone for a
// platform admin, their court's people for a court admin).
func (c *Client) Users(ctx context.Context, q UserQuery) (*api.UserList, error) {
	qv := url.Values{}
	for k, v := range map[string]string{"q": q.Text, "role": q.Role, "status": q.Status, "directory": q.Directory, "cursor": q.Cursor} {
		if v != "" {
			qv.Set(k, v)
		}
	}
	if q.Limit > 0 {
		qv.Set("limit", strconv.Itoa(q.Limit))
	}
	return callJSON[api.UserList](ctx, c, http.MethodGet, c.endpoint(api.PathAdminUsers, qv), nil, http.StatusOK)
}

// User returns the person id with their factors (no secret), tokens,
// mailboxes and last events.
func (c *Client) User(ctx context.Context, id string) (*api.UserDetail, error) {
	return callJSON[api.UserDetail](ctx, c, http.MethodGet, c.endpoint(api.PathAdminUsers+"/"+url.PathEscape(id), nil), nil, http.StatusOK)
}
