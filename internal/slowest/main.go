// Command slowest runs a `go test` command line, passes its output through unchanged, and then
// prints the slowest packages and the whole run's wall time. It exits with the command's exit
// code, so `make test` fails exactly when `go test` does and its failure output reads as usual.
//
//	go run ./internal/slowest [-n 8] go test -race ./...
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// pkgLine is go test's one line per package: "ok  	path	12.345s" or "FAIL	path	1.2s".
var pkgLine = regexp.MustCompile(`^(ok|FAIL)\s+(\S+)\s+([0-9.]+)s\b`)

type pkgTime struct {
	status, path string
	elapsed      time.Duration
}

// scan copies r to w line by line and returns the packages' times as they pass.
func scan(r io.Reader, w io.Writer) ([]pkgTime, error) {
	var times []pkgTime
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			if _, werr := io.WriteString(w, line); werr != nil {
				return times, werr
			}
			if m := pkgLine.FindStringSubmatch(line); m != nil {
				secs, _ := strconv.ParseFloat(m[3], 64)
				times = append(times, pkgTime{m[1], m[2], time.Duration(secs * float64(time.Second))})
			}
		}
		if err == io.EOF {
			return times, nil
		}
		if err != nil {
			return times, err
		}
	}
}

// report writes the n slowest packages, slowest first.
func report(w io.Writer, times []pkgTime, n int, wall time.Duration) {
	sort.SliceStable(times, func(i, j int) bool { return times[i].elapsed > times[j].elapsed })
	if n > len(times) {
		n = len(times)
	}
	fmt.Fprintf(w, "\nslowest packages (of %d; the whole run took %s):\n", len(times), wall.Round(time.Second))
	for _, p := range times[:n] {
		fmt.Fprintf(w, "  %7.1fs  %-4s  %s\n", p.elapsed.Seconds(), p.status, p.path)
	}
}

func main() {
	n := flag.Int("n", 8, "how many of the slowest packages to print")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: slowest [-n N] go test [flags] [packages]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "slowest:", err)
		os.Exit(2)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "slowest:", err)
		os.Exit(2)
	}
	// An interrupt from the terminal reaches go test too (same process group); a SIGTERM sent to
	// this process alone is passed on. Either way go test decides how the run ends.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				cmd.Process.Signal(s)
			}
		}
	}()
	times, scanErr := scan(out, os.Stdout)
	if scanErr != nil {
		io.Copy(io.Discard, out) // keep go test from blocking on a full pipe
	}
	err = cmd.Wait()
	report(os.Stdout, times, *n, time.Since(start))
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "slowest:", err)
		os.Exit(2)
	case scanErr != nil:
		fmt.Fprintln(os.Stderr, "slowest:", scanErr)
		os.Exit(2)
	}
}
