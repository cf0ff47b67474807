// Package clustertest holds the multi-node tests of navette: several real
// "navette serve" processes on 127.0.0.1 sharing one PostgreSQL database
// (internal/testpg) and one S3 bucket (internal/tests3), as the national
// deployment runs them (docs/deploy.md). It has tests only.
//
// TestMain builds the navette binary once, without the race detector, and
// starts one PostgreSQL server and one versitygw server for the package;
// each test makes its own database and bucket and starts its own nodes,
// which share the same key-encryption keys. The tests send the chunks of one
// tus upload to alternating nodes, kill a node with SIGKILL in the middle of
// an upload and finish it through another, expire 500 deposits at once under
// the sweepers of three nodes, restart PostgreSQL under load, take the
// S3 server down for 30 seconds, and rotate the key-encryption key of
// running nodes (stage, copy, activate, rewrap, retire). Tests that take a server down do not run
// in parallel with others.
package clustertest
