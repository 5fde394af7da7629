package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procSample is one reading of a process's resident memory and CPU time.
type procSample struct {
	RSSKiB int64
	CPU    time.Duration // user + system
}

const clockTicks = 100 // USER_HZ on Linux

// readProc reads /proc/<pid>/status (VmRSS) and /proc/<pid>/stat (utime, stime).
func readProc(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) > 0 {
				s.RSSKiB, _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count
	// fields after the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	s.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	return s, nil
}

// loadAverage is the first three fields of /proc/loadavg: how busy the
// machine was, other processes included.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// pgProcess is one postgres process and the CPU it had used.
type pgProcess struct {
	title string // its command line: "postgres: walwriter", "postgres: postgres test 127.0.0.1(5555) idle"
	cpu   time.Duration
}

// postgresProcesses reads the CPU time of every process named postgres:
// the database on this machine, other users' work on it included.
func postgresProcesses() map[int]pgProcess {
	out := map[int]pgProcess{}
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		s, err := readProc(pid)
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		title := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		out[pid] = pgProcess{title: title, cpu: s.CPU}
	}
	return out
}

// postgresReport is what every postgres process used between two readings
// elapsed apart; a process that started in between counts from zero.
func postgresReport(before, after map[int]pgProcess, elapsed time.Duration) *PostgresReport {
	rep := &PostgresReport{}
	var total time.Duration
	for pid, p := range after {
		used := p.cpu
		if b, ok := before[pid]; ok && b.title != "" {
			used -= b.cpu
		}
		total += used
		if used > 0 {
			rep.Processes = append(rep.Processes, PostgresProcess{PID: pid, Title: p.title, CPUSeconds: secs(used),
				Cores: round2(used.Seconds() / elapsed.Seconds())})
		}
	}
	slices.SortFunc(rep.Processes, func(a, b PostgresProcess) int { return cmp.Compare(b.CPUSeconds, a.CPUSeconds) })
	rep.CPUSteadySeconds = secs(total)
	rep.CPUSteadyCores = round2(total.Seconds() / elapsed.Seconds())
	return rep
}

// selfCPU is the generator's own user + system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit (or to want,
// raising the hard limit too when the process may). It returns the limit in
// force afterwards.
func raiseFileLimit(want uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur >= want {
		return lim.Cur
	}
	try := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try) == nil {
		return want
	}
	lim.Cur = lim.Max
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		return lim.Cur
	}
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

// monitor samples the server process every interval, keeping the peak RSS.
type monitor struct {
	pid int

	mu     sync.Mutex
	peak   int64
	paused bool // while the generator itself makes the server allocate
	err    error
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func startMonitor(pid int, every time.Duration) *monitor {
	m := &monitor{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	if pid <= 0 {
		close(m.done)
		return m
	}
	m.sample()
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

// sample reads the process now, updating the peak; zero when there is no pid.
func (m *monitor) sample() procSample {
	if m.pid <= 0 {
		return procSample{}
	}
	s, err := readProc(m.pid)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		if m.err == nil {
			m.err = err
		}
		return procSample{}
	}
	if !m.paused {
		m.peak = max(m.peak, s.RSSKiB)
	}
	return s
}

// pause stops (or resumes) counting samples towards the peak.
func (m *monitor) pause(p bool) {
	m.mu.Lock()
	m.paused = p
	m.mu.Unlock()
}

func (m *monitor) close() (peakKiB int64, err error) {
	if m.pid > 0 {
		m.once.Do(func() { close(m.stop) })
	}
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak, m.err
}
