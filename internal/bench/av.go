package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/internal/testclamd"
)

// runAV measures, in one run, uploads to a node that scans every file with
// a real clamd (the harness's, with the EICAR signatures only) and to a
// node with --antivirus=off, alternately, and prints the throughput ratio
// (target: at least 0.85), the time from the client's last byte to the
// deposit being available (scan verdict included; target: at most 1 s for
// 1 GiB), and the scanning node's peak memory. Beside them, the same clamd
// alone: an INSTREAM of the same bytes sent by the bench, split into the
// time to send them and the time from the end of the stream to the verdict
// (clamd scans only then), with clamd's CPU time in each.
//
// Every upload and every INSTREAM carries different bytes (its first 16
// are rewritten): clamd would otherwise answer a stream it saw before from
// its cache, without scanning it.
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
	loadStart := loadAvg()

	type node struct {
		name      string
		up        *client.Client
		pid       int
		peak      func() int64
		times     map[int64][]time.Duration // create, upload, submit, until available
		upload    map[int64][]time.Duration // create and upload, until the client's last byte
		afterLast map[int64][]time.Duration
		cpu       map[int64][]time.Duration // navette's CPU time per upload
		clamdCPU  map[int64][]time.Duration // clamd's CPU time per upload
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
		nodes = append(nodes, &node{name: n.name, up: up, pid: cmd.Process.Pid, peak: func() int64 { return peakRSS(cmd) },
			times: map[int64][]time.Duration{}, upload: map[int64][]time.Duration{}, afterLast: map[int64][]time.Duration{},
			cpu: map[int64][]time.Duration{}, clamdCPU: map[int64][]time.Duration{}})
	}
	ctx := context.Background()
	alone := map[int64][]instreamRun{}
	for _, size := range sizes {
		src := filepath.Join(tmp, "source.bin")
		if err := makeSource(src, size); err != nil {
			return err
		}
		f, err := os.OpenFile(src, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		fresh := func() error {
			var b [16]byte
			rand.Read(b[:])
			_, err := f.WriteAt(b[:], 0)
			return err
		}
		for i := 0; i < runs; i++ {
			if err := fresh(); err != nil {
				return err
			}
			r, err := instream(ctx, clamd, f, size)
			if err != nil {
				return fmt.Errorf("clamd alone: %w", err)
			}
			alone[size] = append(alone[size], r)
			for k := range nodes {
				nd := nodes[(i+k)%len(nodes)] // alternate which goes first
				if err := fresh(); err != nil {
					return err
				}
				cpu0, clamd0 := cpuTime(nd.pid), cpuTime(clamd.Pid())
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
				nd.upload[size] = append(nd.upload[size], last.Sub(began))
				nd.afterLast[size] = append(nd.afterLast[size], end.Sub(last))
				nd.cpu[size] = append(nd.cpu[size], cpuTime(nd.pid)-cpu0)
				nd.clamdCPU[size] = append(nd.clamdCPU[size], cpuTime(clamd.Pid())-clamd0)
			}
		}
		f.Close()
		os.Remove(src)
	}
	fmt.Printf("\nnavette bench -av: median of %d runs per figure, loopback, same disk (%s)\n", runs, tmp)
	fmt.Printf("%d CPUs, load average %s at the start, %s at the end (other processes share the CPUs)\n", runtime.NumCPU(), loadStart, loadAvg())
	fmt.Printf("clamd with the EICAR signatures only, cache off; every stream different\n\n")

	fmt.Printf("clamd alone: an INSTREAM of the same bytes from the bench, 64 KiB chunks\n")
	fmt.Printf("%-9s %10s %14s %16s %16s %16s\n", "size", "send MB/s", "end→verdict", "CPU receiving", "CPU scanning", "scan MB/CPU-s")
	for _, size := range sizes {
		var send, scan, cr, cs []time.Duration
		for _, r := range alone[size] {
			send, scan, cr, cs = append(send, r.send), append(scan, r.scan), append(cr, r.cpuReceive), append(cs, r.cpuScan)
		}
		fmt.Printf("%-9s %10.0f %13.2fs %15.2fs %15.2fs %16.0f\n", human(size), mbps(size, median(send)), median(scan).Seconds(),
			median(cr).Seconds(), median(cs).Seconds(), mbps(size, median(cs)))
	}

	off, on := nodes[0], nodes[1]
	fmt.Printf("\nnavette: create, upload, submit, until available (the ratio's target: at least 0.85)\n")
	fmt.Printf("%-9s %10s %11s %7s   %-28s\n", "size", "off MB/s", "clamd MB/s", "ratio", "upload alone (to last byte)")
	for _, size := range sizes {
		a, b := median(off.times[size]), median(on.times[size])
		ua, ub := median(off.upload[size]), median(on.upload[size])
		fmt.Printf("%-9s %10.0f %11.0f %7.2f   %4.0f / %4.0f MB/s, ratio %.2f\n", human(size), mbps(size, a), mbps(size, b), a.Seconds()/b.Seconds(),
			mbps(size, ua), mbps(size, ub), ua.Seconds()/ub.Seconds())
	}
	fmt.Printf("\nlast byte → available (target: at most 1 s for 1 GiB), and CPU time per upload\n")
	fmt.Printf("%-9s %10s %10s %14s %14s %14s\n", "size", "off", "clamd", "navette off", "navette clamd", "clamd")
	for _, size := range sizes {
		fmt.Printf("%-9s %9.2fs %9.2fs %13.2fs %13.2fs %13.2fs\n", human(size), median(off.afterLast[size]).Seconds(), median(on.afterLast[size]).Seconds(),
			median(off.cpu[size]).Seconds(), median(on.cpu[size]).Seconds(), median(on.clamdCPU[size]).Seconds())
	}
	fmt.Printf("\npeak RSS MiB: off %.1f, clamd %.1f (navette only; clamd keeps the stream in its temporary directory)\n",
		kib(off.peak()), kib(on.peak()))
	return nil
}

// instreamRun is one INSTREAM of the bench's own: the time to send the
// bytes and from the end of the stream to the verdict, and clamd's CPU time
// in each.
type instreamRun struct {
	send, scan          time.Duration
	cpuReceive, cpuScan time.Duration
}

// instream sends the first size bytes of f to clamd in 64 KiB chunks, as
// navette's upload does, and waits for the verdict, which must be clean.
func instream(ctx context.Context, srv *testclamd.Server, f *os.File, size int64) (instreamRun, error) {
	var r instreamRun
	c := srv.Client()
	c.ScanTimeout = time.Hour
	pid := srv.Pid()
	cpu0, t0 := cpuTime(pid), time.Now()
	st, err := c.NewStream(ctx)
	if err != nil {
		return r, err
	}
	if _, err := io.CopyBuffer(st, io.NewSectionReader(f, 0, size), make([]byte, 64<<10)); err != nil {
		st.Abort()
		return r, err
	}
	cpu1, t1 := cpuTime(pid), time.Now()
	v, err := st.Close()
	if err != nil {
		return r, err
	}
	if v.Check != navette.CheckClean {
		return r, fmt.Errorf("verdict %s", v)
	}
	r.send, r.scan = t1.Sub(t0), time.Since(t1)
	r.cpuReceive, r.cpuScan = cpu1-cpu0, cpuTime(pid)-cpu1
	return r, nil
}

// cpuTime returns the user and system CPU time of process pid so far (0 if
// it cannot be read).
func cpuTime(pid int) time.Duration {
	user, sys := cpuTimes(pid)
	return user + sys
}

// sysTime is the CPU time pid has spent in the kernel so far.
func sysTime(pid int) time.Duration {
	_, sys := cpuTimes(pid)
	return sys
}

// cpuTimes returns the CPU time pid has spent so far in user space and in
// the kernel (/proc/PID/stat's utime and stime).
func cpuTimes(pid int) (user, sys time.Duration) {
	f := statFields(pid)
	if len(f) < 13 {
		return 0, 0
	}
	tick := func(x string) time.Duration { // in clock ticks of 1/100 s
		n, _ := strconv.ParseInt(x, 10, 64)
		return time.Duration(n) * 10 * time.Millisecond
	}
	return tick(f[11]), tick(f[12])
}

// statFields returns the fields of /proc/PID/stat after the command's
// name, from the state on (none if it cannot be read).
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// outside returns the CPU time the machine has spent so far outside the
// bench's own process: every other process's, and the kernel's own threads'
// (writeback, network softirqs), which no process's count holds. On a quiet
// machine, its growth over a transfer is what the transfer cost the
// machine beside the client.
func outside() time.Duration {
	return machineBusy() - cpuTime(os.Getpid())
}

// machineBusy returns the CPU time of all the machine's cores so far, but
// idle, I/O wait and time stolen by the hypervisor (/proc/stat).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user, nice, system, irq, softirq
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// loadAvg returns the system's load averages over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// switches returns the context switches, voluntary and not, of every
// thread of pid so far (/proc/PID/task/*/status); threads that have ended
// are not counted, and a Go server rarely ends one.
func switches(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.HasSuffix(k, "ctxt_switches") {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			}
		}
	}
	return n
}
