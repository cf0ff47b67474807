package web_test

import (
	"testing"

	"navette/internal/testbrowser"
)

// TestMain runs the browser tests in one Chromium, each in a browser
// context of its own.
func TestMain(m *testing.M) { testbrowser.Main(m) }
