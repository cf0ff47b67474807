package http

import (
	"encoding/hex"
	"time"

	"navette"
	"navette/api"
	"navette/deposit"
	"navette/notify"
)

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// depositJSON renders a deposit for the API; files are listed when
// withFiles is set.
func depositJSON(v *deposit.View, withFiles bool) api.Deposit {
	d := api.Deposit{
		ID:            v.ID,
		State:         string(v.State),
		Reference:     v.Reference,
		Message:       v.Message,
		RetentionDays: v.RetentionDays,
		Sender:        api.Person{Email: v.Sender.Email, Name: v.Sender.Name},
		Recipients:    []api.Recipient{},
		CreatedAt:     v.CreatedAt.UTC(),
		SubmittedAt:   timePtr(v.SubmittedAt),
		ExpiresAt:     timePtr(v.ExpiresAt),
		RevokedAt:     timePtr(v.RevokedAt),
		NotifySender:  v.NotifySender,
		MaxDownloads:  v.MaxDownloads,
		CaseID:        v.CaseID,
	}
	if v.FromSpace != nil {
		d.FromSpace = &api.Person{Email: v.FromSpace.Email, Name: v.FromSpace.Name}
	}
	for _, r := range v.Recipients {
		d.Recipients = append(d.Recipients, api.Recipient{Email: r.Email, Name: r.Name, Service: r.Role == navette.RoleService,
			Revoked: r.Disabled, FirstDownloadAt: timePtr(r.FirstDownloadAt), FirstDownloadBy: r.FirstDownloadBy,
			FirstOpenedAt: timePtr(r.FirstOpenedAt), FirstOpenedBy: r.FirstOpenedBy})
	}
	for _, f := range v.Files {
		if f.PurgedUnfinished() {
			continue
		}
		d.FileCount++
		d.TotalSize += f.Size
		if withFiles {
			d.Files = append(d.Files, fileJSON(f))
		}
	}
	if withFiles && d.Files == nil {
		d.Files = []api.File{}
	}
	if v.State == navette.DepositDraft {
		d.UploadURL = api.PathUploads
	}
	return d
}

// fullDepositJSON renders a deposit with its files, as one deposit's
// answer shows it.
func fullDepositJSON(v *deposit.View) api.Deposit { return depositJSON(v, true) }

// listedDepositJSON renders a deposit as a list of deposits shows it.
func listedDepositJSON(v *deposit.View) api.Deposit { return depositJSON(v, false) }

func fileJSON(f deposit.FileView) api.File {
	return api.File{ID: f.ID, Name: f.Name, Size: f.Size, Offset: f.Offset, SHA256: hex.EncodeToString(f.SHA256), State: string(f.State),
		Check: string(f.Check), CheckDetail: f.CheckDetail}
}

// noticeJSON renders a notice for admins.
func noticeJSON(v notify.NoticeView) api.Notice {
	n := api.Notice{
		ID:        v.ID,
		Kind:      string(v.Kind),
		State:     string(v.State),
		To:        v.Email,
		DepositID: v.DepositID,
		Attempts:  v.Attempts,
		LastError: v.LastError,
		CreatedAt: v.CreatedAt.UTC(),
		SentAt:    timePtr(v.SentAt),
	}
	if v.State == navette.NoticePending {
		n.NextAttemptAt = timePtr(v.NextAttemptAt)
	}
	return n
}

func hexOrEmpty(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return hex.EncodeToString(b)
}
