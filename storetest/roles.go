package storetest

import (
	"testing"

	"navette"
)

// metaTest is one subtest of a role's suite.
type metaTest struct {
	name string
	fn   func(t *testing.T, m *metaFixture)
}

// runMeta runs tests as subtests, each on a new store from open. The
// suites need a whole navette.MetaStore, not only the role under test, to
// make the records the role refers to (users, deposits, files).
func runMeta(t *testing.T, open func(t *testing.T) navette.MetaStore, tests []metaTest) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, &metaFixture{
				t:     t,
				s:     open(t),
				ctx:   t.Context(),
				clock: navette.NewFakeClock(metaEpoch),
			})
		})
	}
}

// roleSuites are the suites TestMetaStore runs, one per role, in order.
var roleSuites = []struct {
	role string
	run  func(t *testing.T, open func(t *testing.T) navette.MetaStore)
}{
	{"Users", TestUserStore},
	{"Tokens", TestTokenStore},
	{"Sessions", TestSessionStore},
	{"Courts", TestCourtStore},
	{"Mailboxes", TestMailboxStore},
	{"Deposits", TestDepositStore},
	{"Files", TestFileStore},
	{"Outbox", TestOutboxStore},
	{"Settings", TestSettingsStore},
	{"Journal", TestJournalStore},
	{"Evidence", TestEvidenceStore},
	{"Stats", TestStatsStore},
	{"Passkeys", TestPasskeyStore},
	{"Recovery", TestRecoveryStore},
	{"Requests", TestRequestStore},
	{"Policy", TestPolicyStore},
	{"Jobs", TestJobStore},
	{"Ping", TestMetaPing},
}

// TestUserStore runs the conformance suite for navette.UserStore: users,
// their fields, directory sources and recipient search. open is as for
// TestMetaStore.
func TestUserStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Users", testMetaUsers},
		{"UserFields", testMetaUserFields},
		{"UserLang", testMetaUserLang},
		{"UpdateUser", testMetaUpdateUser},
		{"UpdateUserConcurrent", testMetaUpdateUserConcurrent},
		{"UsersBySource", testMetaUsersBySource},
		{"UsersByEmails", testMetaUsersByEmails},
		{"SaveUsers", testMetaSaveUsers},
		{"SaveUsersRefused", testMetaSaveUsersRefused},
		{"Search", testMetaSearch},
		{"SearchFilters", testMetaSearchFilters},
		{"SearchFollowsChanges", testMetaSearchFollowsChanges},
		{"SearchMany", testMetaSearchMany},
		{"SearchClustered", testMetaSearchClustered},
		{"RoundTrip", testMetaRoundTrip},
	})
}

// TestTokenStore runs the conformance suite for navette.TokenStore. open is
// as for TestMetaStore.
func TestTokenStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Tokens", testMetaTokens},
		{"TokenScopes", testMetaTokenScopes},
		{"RevokeToken", testMetaRevokeToken},
		{"TouchToken", testMetaTouchToken},
	})
}

// TestSessionStore runs the conformance suite for navette.SessionStore:
// sessions and e-mailed sign-in codes. open is as for TestMetaStore.
func TestSessionStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Sessions", testMetaSessions},
		{"DeleteStaleSessions", testMetaDeleteStaleSessions},
		{"ListSessions", testMetaListSessions},
		{"SignInCodes", testMetaSignInCodes},
	})
}

// TestCourtStore runs the conformance suite for navette.CourtStore. open is
// as for TestMetaStore.
func TestCourtStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Courts", testMetaCourts},
	})
}

// TestMailboxStore runs the conformance suite for navette.MailboxStore: the
// members of service mailboxes, and deposits addressed to them. open is as
// for TestMetaStore.
func TestMailboxStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Members", testMetaMembers},
		{"SetMembers", testMetaSetMembers},
		{"ServiceMailbox", testMetaServiceMailbox},
		{"FirstDownloadBy", testMetaFirstDownloadBy},
	})
}

// TestDepositStore runs the conformance suite for navette.DepositStore. open
// is as for TestMetaStore.
func TestDepositStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"CreateDeposit", testMetaCreateDeposit},
		{"DepositFor", testMetaDepositFor},
		{"FromSpace", testMetaFromSpace},
		{"IdempotencyKey", testMetaIdempotencyKey},
		{"IdempotencyKeyConcurrent", testMetaIdempotencyKeyConcurrent},
		{"ListDeposits", testMetaListDeposits},
		{"ListPagination", testMetaListPagination},
		{"ListDefaultLimit", testMetaListDefaultLimit},
		{"UpdateDeposit", testMetaUpdateDeposit},
		{"UpdateDepositRollback", testMetaUpdateDepositRollback},
		{"UpdateDepositConcurrent", testMetaUpdateDepositConcurrent},
		{"JournalAndRowLocks", testMetaJournalAndRowLocks},
		{"DueDeposits", testMetaDueDeposits},
		{"DueReminders", testMetaDueReminders},
	})
}

// TestFileStore runs the conformance suite for navette.FileStore, content
// checks included. open is as for TestMetaStore.
func TestFileStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"CreateFile", testMetaCreateFile},
		{"CreateFileConcurrent", testMetaCreateFileConcurrent},
		{"Files", testMetaFiles},
		{"FilesOf", testMetaFilesOf},
		{"UpdateFile", testMetaUpdateFile},
		{"UpdateFiles", testMetaUpdateFiles},
		{"BlobsToDelete", testMetaBlobsToDelete},
		{"FileChecks", testMetaFileChecks},
		{"FilesToCheck", testMetaFilesToCheck},
		{"StoredFiles", testMetaStoredFiles},
		{"RejectedBlobsToDelete", testMetaRejectedBlobsToDelete},
	})
}

// TestOutboxStore runs the conformance suite for navette.OutboxStore:
// notices created with events, claimed, sent, failed and replayed. open is
// as for TestMetaStore.
func TestOutboxStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"NoticesWithEvents", testMetaNoticesWithEvents},
		{"NoticesRefused", testMetaNoticesRefused},
		{"ClaimNotices", testMetaClaimNotices},
		{"ClaimNoticesConcurrent", testMetaClaimNoticesConcurrent},
		{"NoticeSent", testMetaNoticeSent},
		{"NoticeFailed", testMetaNoticeFailed},
		{"ReplayNotice", testMetaReplayNotice},
		{"NoticesFilter", testMetaNoticesFilter},
		{"ContentAlert", testMetaContentAlert},
	})
}

// TestSettingsStore runs the conformance suite for navette.SettingsStore.
// open is as for TestMetaStore.
func TestSettingsStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Settings", testMetaSettings},
	})
}

// TestJournalStore runs the conformance suite for navette.JournalStore:
// events, their hash chain, the Merkle tree and its checkpoints. open is as
// for TestMetaStore.
func TestJournalStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Events", testMetaEvents},
		{"JournalChain", testMetaJournalChain},
		{"JournalTree", testMetaJournalTree},
		{"JournalBulk", testMetaJournalBulk},
		{"Checkpoints", testMetaCheckpoints},
		{"DownloadCount", testMetaDownloadCount},
		{"DownloadClaims", testMetaDownloadClaims},
		{"DownloadClaimsConcurrent", testMetaDownloadClaimsConcurrent},
		{"DownloadClaimRenewal", testMetaDownloadClaimRenewal},
	})
}

// TestEvidenceStore runs the conformance suite for navette.EvidenceStore,
// which the store under test must implement. open is as for TestMetaStore.
func TestEvidenceStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"ProofKey", testMetaProofKey},
		{"EvidenceWithEvents", testMetaEvidenceWithEvents},
		{"EvidenceRefused", testMetaEvidenceRefused},
		{"SearchEvidence", testMetaSearchEvidence},
		{"DueEvidence", testMetaDueEvidence},
		{"DeleteEvidence", testMetaDeleteEvidence},
		{"DeleteEvidenceConcurrent", testMetaDeleteEvidenceConcurrent},
	})
}

// TestStatsStore runs the conformance suite for navette.StatsStore, which
// the store under test must implement. open is as for TestMetaStore.
func TestStatsStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Stats", testMetaStats},
		{"Activity", testMetaActivity},
	})
}

// TestJobStore runs the conformance suite for navette.JobStore, which the
// store under test must implement. open is as for TestMetaStore.
func TestJobStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Jobs", testMetaJobs},
	})
}

// TestPasskeyStore runs the conformance suite for navette.PasskeyStore:
// passkeys, their challenges, and the refusal to remove a last factor.
// open is as for TestMetaStore.
func TestPasskeyStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	var tests []metaTest
	for _, p := range passkeyTests {
		tests = append(tests, metaTest{p.name, p.fn})
	}
	runMeta(t, open, tests)
}

// TestMetaPing runs the conformance suite for MetaStore.Ping. open is as for
// TestMetaStore.
func TestMetaPing(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Ping", testMetaPing},
	})
}
