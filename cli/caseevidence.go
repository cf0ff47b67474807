package cli

import (
	"context"
	"io"

	"navette/client"
	"navette/evidence"
)

// getCaseEvidence saves, for an auditor, the evidence of case id (or with
// byDeposit of the case of deposit id) at path, once the SHA-256 of each
// deposit's bundle matches the manifest, and prints where.
func getCaseEvidence(ctx context.Context, env *Env, c *client.Client, id string, byDeposit bool, path string) error {
	if path == "" {
		path = "preuves-affaire-" + id + ".zip"
	}
	return saveArchive(env, path, ".navette-evidence-*.zip.part", func(w io.Writer) (int64, error) {
		return c.CaseEvidence(ctx, id, byDeposit, w)
	}, checkCaseEvidence, "%d evidence bundles, %s, checked against the manifest; check each one's receipts with navette verify.\n")
}

// checkCaseEvidence reads the case evidence at path and checks that each
// deposit bundle its JSON manifest lists is there with that size and
// SHA-256; it returns how many there are.
func checkCaseEvidence(path string) (int, error) {
	var m evidence.CaseManifest
	zr, byName, err := openManifest(path, &m)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	n := 0
	for _, d := range m.Deposits {
		if d.Bundle == "" {
			continue
		}
		if err := checkZIPEntry(byName[d.Bundle], d.Bundle, d.Size, d.SHA256); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
