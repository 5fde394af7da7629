package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// On a machine shared with other users of the same PostgreSQL, "every
// postgres process" overstates what one server costs the database. The
// generator therefore also tells apart the backends serving the measured
// server (their client port is one of its sockets' local ports), the
// background processes every client shares (checkpointer, WAL writer …:
// counted as the server's, an upper bound), and other clients' backends.

// Kinds of postgres process.
const (
	pgServer     = "server"     // a backend of the measured server's connections
	pgBackground = "background" // no client: postmaster, checkpointer, WAL writer, autovacuum …
	pgOther      = "other"      // another client's backend
)

// socketPorts returns the local TCP ports of pid's sockets (nil if unknown).
func socketPorts(pid int) map[int]bool {
	if pid <= 0 {
		return nil
	}
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil
	}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	ports := map[int]bool{}
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for port := range tcpPorts(string(data), inodes) {
			ports[port] = true
		}
	}
	return ports
}

// tcpPorts reads a /proc/net/tcp table: the local ports of the sockets
// whose inode is in inodes.
func tcpPorts(table string, inodes map[string]bool) map[int]bool {
	ports := map[int]bool{}
	for line := range strings.SplitSeq(table, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || !inodes[f[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":") // local_address "0100007F:9E5A"
		if port, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil {
			ports[int(port)] = true
		}
	}
	return ports
}

// pgKind says whose a postgres process is, from its title: a backend's
// title names its client, "… 127.0.0.1(40570) idle".
func pgKind(title string, serverPorts map[int]bool) string {
	open := strings.LastIndexByte(title, '(')
	end := strings.LastIndexByte(title, ')')
	if open < 0 || end < open {
		return pgBackground
	}
	port, err := strconv.Atoi(title[open+1 : end])
	if err != nil {
		return pgBackground
	}
	if serverPorts[port] {
		return pgServer
	}
	return pgOther
}

// attribute sorts rep's processes by kind and sums them.
func (rep *PostgresReport) attribute(serverPorts map[int]bool, seconds float64) {
	var own, bg, other float64
	for i := range rep.Processes {
		p := &rep.Processes[i]
		p.Kind = pgKind(p.Title, serverPorts)
		switch p.Kind {
		case pgServer:
			own += p.CPUSeconds
		case pgBackground:
			bg += p.CPUSeconds
		default:
			other += p.CPUSeconds
		}
	}
	if seconds > 0 {
		rep.ServerBackendsCores = round2(own / seconds)
		rep.BackgroundCores = round2(bg / seconds)
		rep.OtherBackendsCores = round2(other / seconds)
	}
	rep.Attributed = serverPorts != nil
}
