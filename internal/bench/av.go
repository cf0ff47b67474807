package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"navette/api"
	"navette/client"
	"navette/internal/testclamd"
)

// runAV measures, in one run, uploads to a node that scans every file with
// a real clamd (the harness's, with the EICAR signatures only) and to a
// node with --antivirus=off, alternately, and prints the throughput ratio
// (target: at least 0.85) and the time from the client's last byte to the
// deposit being available (scan verdict included; target: at most 1 s for
// 1 GiB), and the scanning node's peak memory.
//
//	go run ./internal/bench -av [-sizes 256MiB,1GiB] [-runs 3]
func runAV(base string, sizes []int64, runs int) error {
	tmp, err := os.MkdirTemp(base, "navette-bench-av-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := buildNavette(tmp)
	if err != nil {
		return err
	}
	largest := sizes[0]
	for _, s := range sizes {
		largest = max(largest, s)
	}
	clamd, err := testclamd.Launch(testclamd.Options{StreamMaxLength: largest + 1<<20})
	if err != nil {
		return err
	}
	defer clamd.Close()
	fmt.Printf("clamd at %s, temporary files in %s\n", clamd.URL, clamd.TempDir)

	type node struct {
		name      string
		up        *client.Client
		peak      func() int64
		times     map[int64][]time.Duration
		afterLast map[int64][]time.Duration
	}
	var nodes []*node
	for _, n := range []struct{ name, flag string }{{"off", "--antivirus=off"}, {"clamd", "--clamd=" + clamd.URL}} {
		dir := filepath.Join(tmp, n.name)
		sender, _, err := makeUsers(bin, dir)
		if err != nil {
			return err
		}
		cmd, u, err := start(bin, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--max-file-size", strconv.FormatInt(largest, 10), "--scrub-rate", "0", n.flag)
		if err != nil {
			return err
		}
		defer stop(cmd)
		up, err := client.New(u, sender)
		if err != nil {
			return err
		}
		nodes = append(nodes, &node{name: n.name, up: up, peak: func() int64 { return peakRSS(cmd) },
			times: map[int64][]time.Duration{}, afterLast: map[int64][]time.Duration{}})
	}
	ctx := context.Background()
	for _, size := range sizes {
		src := filepath.Join(tmp, "source.bin")
		if err := makeSource(src, size); err != nil {
			return err
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		for i := 0; i < runs; i++ {
			for k := range nodes {
				nd := nodes[(i+k)%len(nodes)] // alternate which goes first
				var last time.Time
				began := time.Now()
				d, err := nd.up.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "bench"})
				if err != nil {
					return err
				}
				if _, err := nd.up.Upload(ctx, d.ID, "bench.bin", f, size, func(done int64) {
					if done == size && last.IsZero() {
						last = time.Now()
					}
				}); err != nil {
					return fmt.Errorf("%s upload: %w", nd.name, err)
				}
				if d, err = nd.up.Submit(ctx, d.ID); err != nil {
					return fmt.Errorf("%s submit: %w", nd.name, err)
				}
				for d.State == "checking" {
					time.Sleep(5 * time.Millisecond)
					if d, err = nd.up.Deposit(ctx, d.ID); err != nil {
						return err
					}
				}
				end := time.Now()
				if d.State != "available" {
					return fmt.Errorf("%s: deposit %s", nd.name, d.State)
				}
				if last.IsZero() {
					last = end
				}
				nd.times[size] = append(nd.times[size], end.Sub(began))
				nd.afterLast[size] = append(nd.afterLast[size], end.Sub(last))
			}
		}
		f.Close()
		os.Remove(src)
	}
	fmt.Printf("\nnavette bench -av: median of %d uploads (create, upload, submit, until available) per figure, loopback, same disk (%s)\n", runs, tmp)
	fmt.Printf("clamd with the EICAR signatures only; the upload's plaintext is streamed to it as it arrives\n\n")
	fmt.Printf("%-9s %12s %12s %7s %18s %18s\n", "size", "off MB/s", "clamd MB/s", "ratio", "off last byte→av.", "clamd last byte→av.")
	for _, size := range sizes {
		off, on := median(nodes[0].times[size]), median(nodes[1].times[size])
		fmt.Printf("%-9s %12.0f %12.0f %7.2f %17dms %17dms\n", human(size), mbps(size, off), mbps(size, on), off.Seconds()/on.Seconds(),
			median(nodes[0].afterLast[size]).Milliseconds(), median(nodes[1].afterLast[size]).Milliseconds())
	}
	fmt.Printf("\npeak RSS MiB: off %.1f, clamd %.1f (navette only; clamd keeps the stream in its temporary directory)\n",
		kib(nodes[0].peak()), kib(nodes[1].peak()))
	return nil
}
