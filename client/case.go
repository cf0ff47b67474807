package client

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"navette/api"
)

// Cases returns every case of the caller, the most recently active first,
// reading them page by page (CasePage); with q, only those a reference of
// which holds q (both normalised).
func (c *Client) Cases(ctx context.Context, q string) (*api.CaseList, error) {
	all := &api.CaseList{Cases: []api.Case{}}
	before := ""
	for {
		l, err := c.CasePage(ctx, q, before)
		if err != nil {
			return nil, err
		}
		all.Cases = append(all.Cases, l.Cases...)
		if l.Next == "" || l.Next == before {
			return all, nil
		}
		before = l.Next
	}
}

// CasePage returns one page of the caller's cases, after the cursor before
// ("" for the first page); its Next is the cursor of the next page.
func (c *Client) CasePage(ctx context.Context, q, before string) (*api.CaseList, error) {
	qv := url.Values{"limit": {"200"}}
	if q != "" {
		qv.Set("q", q)
	}
	if before != "" {
		qv.Set("before", before)
	}
	return callJSON[api.CaseList](ctx, c, http.MethodGet, c.endpoint(api.PathCases, qv), nil, http.StatusOK)
}

// Case returns a case with every deposit of it the caller sent or
// received, reading its pages (CaseAt) to the last.
func (c *Client) Case(ctx context.Context, caseID string) (*api.Case, error) {
	k, err := c.CaseAt(ctx, caseID, "")
	if err != nil {
		return nil, err
	}
	for next := k.Next; next != ""; {
		p, err := c.CaseAt(ctx, caseID, next)
		if err != nil {
			return nil, err
		}
		k.Deposits = append(k.Deposits, p.Deposits...)
		k.Sent += p.Sent
		k.Received += p.Received
		next = p.Next
	}
	k.Next = ""
	return k, nil
}

// CaseAt returns one page of a case's deposits, after the cursor before
// ("" for the first page); its Next is the cursor of the next page.
func (c *Client) CaseAt(ctx context.Context, caseID, before string) (*api.Case, error) {
	qv := url.Values{"limit": {"200"}}
	if before != "" {
		qv.Set("before", before)
	}
	return callJSON[api.Case](ctx, c, http.MethodGet, c.endpoint(api.PathCases+"/"+url.PathEscape(caseID), qv), nil, http.StatusOK)
}

// Reply makes a draft that answers a deposit the caller received: to its
// sender's side, in its case, under its reference. Files are then
// uploaded to it and it is submitted as any draft.
func (c *Client) Reply(ctx context.Context, depositID string, in api.Reply) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodPost, c.endpoint(depositPath(depositID, "reply"), nil), in, http.StatusCreated)
}

// ReplyOnce replies as Reply does, once for the idempotency key key,
// retrying as CreateDepositOnce does.
func (c *Client) ReplyOnce(ctx context.Context, depositID string, in api.Reply, key string) (*api.Deposit, error) {
	return c.postOnce(ctx, c.endpoint(depositPath(depositID, "reply"), nil), in, key)
}

// Extend lengthens the retention of a deposit the caller sent by days.
func (c *Client) Extend(ctx context.Context, depositID string, days int) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodPost, c.endpoint(depositPath(depositID, "extend"), nil), api.Extend{Days: days}, http.StatusOK)
}

// CaseBundle writes every available file of a case, as the ZIP archive
// the server streams (folders by deposit, manifeste.csv and
// manifeste.json), to w, and returns how many bytes it wrote. The archive
// is not resumable: an interrupted one must be fetched again.
func (c *Client) CaseBundle(ctx context.Context, caseID string, w io.Writer) (int64, error) {
	return c.getZIP(ctx, api.PathCases+"/"+url.PathEscape(caseID)+"/bundle", w)
}

// CaseEvidence writes to w, for an auditor, the evidence of the whole case
// caseID (a ZIP of each deposit's evidence bundle and a manifest), or with
// byDeposit of the case of deposit caseID, and returns its size.
func (c *Client) CaseEvidence(ctx context.Context, caseID string, byDeposit bool, w io.Writer) (int64, error) {
	if byDeposit {
		return c.getZIP(ctx, depositPath(caseID, "case-evidence"), w)
	}
	return c.getZIP(ctx, api.PathCases+"/"+url.PathEscape(caseID)+"/evidence", w)
}

// getZIP writes the ZIP at path to w.
func (c *Client) getZIP(ctx context.Context, path string, w io.Writer) (int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, c.endpoint(path, nil), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/zip, "+api.ProblemContentType)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, responseError(resp)
	}
	return io.Copy(w, resp.Body)
}
