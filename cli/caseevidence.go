package cli

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; choose another --out", printable(path, 200))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".navette-evidence-*.zip.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := c.CaseEvidence(ctx, id, byDeposit, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	bundles, err := checkCaseEvidence(tmp.Name())
	if err != nil {
		return fmt.Errorf("the evidence received is not whole: %v", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	if env.IsTerminal != nil && env.IsTerminal(env.Stderr) {
		fmt.Fprintf(env.Stderr, "%d evidence bundles, %s, checked against the manifest; check each one's receipts with navette verify.\n", bundles, humanSize(n))
	}
	fmt.Fprintln(env.Stdout, path)
	return nil
}

// checkCaseEvidence reads the case evidence at path and checks that each
// deposit bundle its JSON manifest lists is there with that size and
// SHA-256; it returns how many there are.
func checkCaseEvidence(path string) (int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	mf := byName["manifeste.json"]
	if mf == nil {
		return 0, errors.New("no manifest")
	}
	var m evidence.CaseManifest
	rc, err := mf.Open()
	if err != nil {
		return 0, err
	}
	err = json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&m)
	rc.Close()
	if err != nil {
		return 0, fmt.Errorf("manifest: %v", err)
	}
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

// checkZIPEntry checks that f, the entry name, holds size bytes of that
// SHA-256.
func checkZIPEntry(f *zip.File, name string, size int64, sum string) error {
	if f == nil {
		return fmt.Errorf("%s: missing", printable(name, 200))
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("%s: %v", printable(name, 200), err)
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("%s: not the bundle the manifest describes", printable(name, 200))
	}
	return nil
}
