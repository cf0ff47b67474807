// Command navette is the secure file exchange platform: server, operator
// tools and client in one binary. See "navette help".
package main

import (
	"os"

	"navette/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) }
