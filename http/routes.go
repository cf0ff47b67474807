package http

import (
	"net/http"

	"navette"
	"navette/api"
)

// routes lists every API route with its access policy. A route is added
// here and nowhere else, so none can escape the policy test.
func (s *Server) routes() ([]Route, error) {
	tus, err := s.tusHandler()
	if err != nil {
		return nil, err
	}
	public := Access{Public: true}
	partial := Access{Partial: true}
	anyone := Access{Scope: navette.ScopeRead}
	read := Access{Roles: depositors, Scope: navette.ScopeRead}
	write := Access{Roles: depositors, Scope: navette.ScopeWrite}
	admin := Access{Roles: admins, Scope: navette.ScopeAdmin}
	court := Access{Roles: courtAdmin, Scope: navette.ScopeAdmin}
	audit := Access{Roles: auditors, Scope: navette.ScopeAudit}
	auditOnly := Access{Roles: []navette.Role{navette.RoleAuditor}, Scope: navette.ScopeAudit}
	rs := []Route{
		{"GET /healthz", public, s.handleHealth},
		{"GET /readyz", public, s.handleReady},
		{"GET " + api.PathOpenAPI, public, s.handleOpenAPI},
		{"GET " + "/d/{id}", public, s.handleDepositLink},

		{"POST " + api.PathAuthCode, public, s.handleRequestCode},
		{"POST " + api.PathAuthCodeVerify, public, s.handleVerifyCode},
		{"POST " + api.PathAuthPassword, public, s.handlePasswordSignIn},
		{"GET " + api.PathAuthOIDC, public, s.handleStartOIDC},
		{"GET " + api.PathAuthOIDCReturn, public, s.handleFinishOIDC},
		{"POST " + api.PathAuthTOTP, partial, s.handleSecondFactor},
		{"POST " + api.PathAuthEnrol, partial, s.handleStartEnrolment},
		{"POST " + api.PathAuthEnrolDone, partial, s.handleFinishEnrolment},
		{"POST " + api.PathAuthSignOut, public, s.handleSignOut},
		{"POST " + api.PathAuthStepUp, Access{SessionOnly: true}, s.handleStepUp},
		{"GET " + api.PathMe, anyone, s.handleMe},

		{"GET " + api.PathTokens, Access{Scope: navette.ScopeRead}, s.handleListTokens},
		{"POST " + api.PathTokens, Access{SessionOnly: true}, s.handleCreateToken},
		{"DELETE " + api.PathTokens + "/{id}", Access{Scope: navette.ScopeWrite}, s.handleRevokeToken},

		{"GET " + api.PathRecipients, read, s.handleRecipients},
		{"POST " + api.PathDeposits, write, s.handleCreateDeposit},
		{"GET " + api.PathDeposits, read, s.handleListDeposits},
		{"GET " + api.PathDeposits + "/{id}", read, s.handleGetDeposit},
		{"DELETE " + api.PathDeposits + "/{id}", write, s.handleRevokeDeposit},
		{"POST " + api.PathDeposits + "/{id}/submit", write, s.handleSubmitDeposit},
		{"POST " + api.PathDeposits + "/{id}/reply", write, s.handleReplyDeposit},
		{"POST " + api.PathDeposits + "/{id}/extend", write, s.handleExtendDeposit},
		{"POST " + api.PathDeposits + "/{id}/forward", write, s.handleForwardDeposit},
		{"GET " + api.PathCases, read, s.handleListCases},
		{"GET " + api.PathCases + "/{id}", read, s.handleGetCase},
		{"GET " + api.PathCases + "/{id}/bundle", read, s.handleCaseBundle},
		{"GET " + api.PathDeposits + "/{id}/files", read, s.handleListFiles},
		{"GET " + api.PathDeposits + "/{id}/files/{fid}", read, s.handleDownload},
		{"GET " + api.PathDeposits + "/{id}/receipts", anyone, s.handleListReceipts},
		{"GET " + api.PathDeposits + "/{id}/evidence", anyone, s.handleEvidenceBundle},
		{"GET " + api.PathDeposits + "/{id}/case-evidence", auditOnly, s.handleDepositCaseEvidence},
		{"GET " + api.PathCases + "/{id}/evidence", auditOnly, s.handleCaseEvidence},
		{"GET " + api.PathReceipts + "/{rid}", anyone, s.handleGetReceipt},
		{"POST " + api.PathUploads + "{$}", write, s.capUploads(s.tusRoute(tus, tus.PostFile))},
		{"HEAD " + api.PathUploads + "{id}", write, s.tusRoute(tus, tus.HeadFile)},
		{"PATCH " + api.PathUploads + "{id}", write, s.capUploads(s.tusRoute(tus, tus.PatchFile))},
		{"DELETE " + api.PathUploads + "{id}", write, s.tusRoute(tus, tus.DelFile)},
		{"OPTIONS " + api.PathUploads + "{$}", public, s.tusRoute(tus, http.NotFound)},

		{"GET " + api.PathCourts, court, s.handleListCourts},
		{"POST " + api.PathCourts, admin, s.handleCreateCourt},
		{"GET " + api.PathCourts + "/{id}/services", court, s.handleListServices},
		{"POST " + api.PathCourts + "/{id}/services", court, s.handleCreateService},
		{"GET " + api.PathServices + "/{id}/members", court, s.handleListMembers},
		{"PUT " + api.PathServices + "/{id}/members/{uid}", court, s.handleAddMember},
		{"DELETE " + api.PathServices + "/{id}/members/{uid}", court, s.handleRemoveMember},

		{"GET " + api.PathAdminRequests, court, s.handleListRequests},
		{"GET " + api.PathAdminRequests + "/{id}", court, s.handleGetRequest},
		{"POST " + api.PathAdminRequests + "/{id}/approve", court, s.handleApproveRequest},
		{"POST " + api.PathAdminRequests + "/{id}/reject", court, s.handleRejectRequest},
		{"GET " + api.PathAdminPolicy, admin, s.handleGetPolicy},
		{"POST " + api.PathAdminPolicy, admin, s.handleChangePolicy},
		{"POST " + api.PathAdminKeyRotate, admin, s.handleKeyRotate},
		{"GET " + api.PathAdminUsers, court, s.handleListUsers},
		{"GET " + api.PathAdminUsers + "/{id}", court, s.handleGetUser},
		{"DELETE " + api.PathAdminUsers + "/{id}/sessions/{sid}", court, s.handleEndUserSession},
		{"PATCH " + api.PathAdminUsers + "/{id}", admin, s.handleUpdateUser},
		{"POST " + api.PathAdminUsers + "/{id}/reset-totp", admin, s.handleResetTOTP},
		{"GET " + api.PathAdminUsers + "/{id}/tokens", admin, s.handleUserTokens},
		{"DELETE " + api.PathAdminTokens + "/{id}", admin, s.handleRevokeAnyToken},
		{"POST " + api.PathAdminDirectory + "/{source}/import", admin, s.handleImportDirectory},
		{"POST " + api.PathAdminLDAPSync, admin, s.handleLDAPSync},
		{"GET " + api.PathAdminSettings, admin, s.handleGetSettings},
		{"PUT " + api.PathAdminSettings, admin, s.handleSaveSettings},
		{"GET " + api.PathAdminNotices, admin, s.handleListNotices},
		{"POST " + api.PathAdminNotices + "/{id}/replay", admin, s.handleReplayNotice},
		{"GET " + api.PathEvents, audit, s.handleListEvents},
		{"GET " + api.PathJournalCheckpoint, public, s.handleJournalCheckpoint},
		{"GET " + api.PathJournalKeys, public, s.handleJournalKeys},
		{"GET " + api.PathJournalProof, audit, s.handleJournalProof},
		{"GET " + api.PathJournalConsistency, audit, s.handleJournalConsistency},
	}
	return rs, nil
}

// extraRoutes lists what the server serves beside the API's operations:
// the local outbox of the demo when DevMail is set, and the catch-all
// that answers 404.
func (s *Server) extraRoutes() []Route {
	public := Access{Public: true}
	var rs []Route
	if s.DevMail != nil {
		rs = append(rs,
			Route{"GET /dev/mail", public, s.handleDevMailList},
			Route{"GET /dev/mail/{id}", public, s.handleDevMailShow},
			Route{"GET /dev/mail/{id}/html", public, s.handleDevMailHTML})
	}
	return append(rs, Route{"/", public, s.handleNotFound})
}
