// Package storetest holds conformance suites for navette's storage
// interfaces. Every implementation runs them from its own tests, so that all
// implementations behave alike: TestMetaStore for navette.MetaStore (the
// SQLite and PostgreSQL stores), which runs one suite per role
// (TestUserStore, TestDepositStore, TestJournalStore…, each also callable
// alone), TestKeyStore and TestDeliveryStore for the optional roles of the
// same name, and TestBlobStore for navette.BlobStore.
//
// The suites need no database of their own: the caller passes a function
// that opens a fresh, empty store for each subtest.
package storetest
