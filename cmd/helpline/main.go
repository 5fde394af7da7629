// Command helpline runs the helpline service and its admin tasks.
//
//	helpline                      run the server (configuration: environment, see README)
//	helpline user add ...         create a staff account
//	helpline user set NAME ...    change an account (--max-capacity N)
//	helpline user disable NAME    disable an account and sign it out everywhere
//	helpline keygen [ID]          print a new key for HELPLINE_ENCRYPTION_KEYS or HELPLINE_TOKEN_KEYS
//	helpline rotate-keys          re-seal everything stored under older keys with the current key
//	helpline keys status          count stored rows under each encryption key
//	helpline directory import|export FILE   the referral directory, as HSDS JSON or CSV
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"helpline/chat"
	"helpline/cmd/internal/server"
	"helpline/counselors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "helpline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "serve" {
		return serve(ctx, getenv, stdout, stderr)
	}
	switch args[0] {
	case "keygen":
		id := "k1"
		if len(args) > 1 {
			id = args[1]
		}
		fmt.Fprintln(stdout, chat.NewKey(id))
		return nil
	case "rotate-keys":
		return rotateKeys(ctx, getenv, stdout, stderr)
	case "keys":
		return keysCommand(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		if len(args) < 2 {
			return errors.New("usage: helpline user add|set|disable|enable|totp …")
		}
		switch args[1] {
		case "add":
			return userAdd(ctx, args[2:], getenv, stdin, stdout, stderr)
		case "disable", "enable":
			return userSetDisabled(ctx, args[1] == "disable", args[2:], getenv, stdout, stderr)
		case "set":
			return userSet(ctx, args[2:], getenv, stdout, stderr)
		case "totp":
			if len(args) != 3 {
				return errors.New("usage: helpline user totp USERNAME")
			}
			srv, err := openStaff(ctx, getenv, stdout, stderr)
			if err != nil {
				return err
			}
			defer srv.Close()
			url, err := srv.Staff.EnrollTOTP(ctx, args[2])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "second factor enrolled for %s; load this into their authenticator app (then sign-in needs a code):\n%s\n", args[2], url)
			return nil
		}
	case "directory":
		return directoryCommand(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		printHelp(stdout)
		return nil
	}
	printHelp(stderr)
	return fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, `usage:
  helpline                     run the server
  helpline user add --role counselor|supervisor|admin --username NAME [--name "Shown name"] [--capacity 3]
                    [--languages es,en] [--audiences self,young,other] [--password-stdin]
  helpline user set NAME --max-capacity N
                               the most conversations at once NAME may choose (1-50); a capacity above it comes down to it
  helpline user disable NAME   disable an account and close its sessions
  helpline user enable NAME
  helpline user totp NAME      enrol a second factor (TOTP); sign-in then needs a code
  helpline keygen [ID]         print a new 32-byte key as ID:base64
  helpline rotate-keys         re-seal stored messages and notes with the first key of HELPLINE_ENCRYPTION_KEYS
                               (the same as helpline keys rotate); says "done" only when nothing is left under another key
  helpline keys status         rows stored under each key, per table: drop an old key only when none are under it
  helpline directory import [--format json|csv] FILE
                               add or replace referral services from HSDS JSON (.json) or CSV (.zip or folder)
  helpline directory export [--format json|csv] FILE
                               write every listed referral service as HSDS JSON or a zip of CSV tables

environment:`)
	for _, s := range server.Settings {
		fmt.Fprintf(w, "  %-26s %s (default %q)\n", s.Name, s.Help, s.Default)
	}
}

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := server.NewLogger(stderr, cfg.LogLevel)
	// The listeners come first: when an address is taken the server fails
	// before it makes demo accounts and prints their passwords for nothing.
	ln, err := listen("HELPLINE_ADDR", cfg.Addr)
	if err != nil {
		return err
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = listen("HELPLINE_METRICS_ADDR", cfg.MetricsAddr); err != nil {
			ln.Close()
			return err
		}
	}
	srv, err := server.Open(ctx, cfg, log, stdout)
	if err != nil {
		ln.Close()
		if mln != nil {
			mln.Close()
		}
		return err
	}
	log.Info("helpline is listening", "addr", ln.Addr().String(), "postgres", cfg.DatabaseURL != "")
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.Metrics)
		// Profiles, so that performance work starts from measurements.
		// They hold code paths and sizes, never message text or addresses;
		// still, like the metrics, this listener is for operators only.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(mln)
		log.Info("metrics are served", "addr", mln.Addr().String())
	}
	fmt.Fprintf(stdout, "  Help-seeker page: http://%s/\n  Counsellor console: http://%s/console\n", displayAddr(ln), displayAddr(ln))
	if addr := ln.Addr().(*net.TCPAddr); addr.IP.IsLoopback() {
		fmt.Fprintf(stdout, "  Listening on %s: only this machine can reach it. Set HELPLINE_ADDR (e.g. :8080) to listen on the network.\n", addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
		log.Info("shutting down: clients are told to reconnect")
		return srv.Close()
	}
}

// listen opens the address the setting named asks for, or says plainly why
// it cannot and what to do.
func listen(setting, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s=%s: %w (is another helpline or program using it? stop that one, or set %s to a free address such as 127.0.0.1:8081)",
			setting, addr, err, setting)
	}
	return ln, nil
}

func displayAddr(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	if addr.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", addr.Port)
	}
	return addr.String()
}

// openStaff connects to the configured store for account commands.
func openStaff(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (*server.Server, error) {
	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("this command works on the PostgreSQL store: set DATABASE_URL (in-memory mode keeps nothing, and prints its own demo accounts)")
	}
	cfg.Demo = false
	return server.Open(ctx, cfg, server.NewLogger(stderr, "warn"), stdout)
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "counselor", "counselor, supervisor or admin")
	username := fs.String("username", "", "sign-in name (required)")
	name := fs.String("name", "", "name shown to help-seekers (default: username)")
	capacity := fs.Int("capacity", 3, "conversations at once")
	languages := fs.String("languages", "", "languages spoken, comma-separated codes")
	audiences := fs.String("audiences", "", "trained for: self, young, other (comma-separated)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *username == "" {
		return errors.New("--username is required")
	}
	password := randomPassword()
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	srv, err := openStaff(ctx, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	a, err := srv.Staff.AddAccount(ctx, counselors.NewAccount{Username: *username, DisplayName: *name, Role: chat.Role(*role),
		Password: password, Capacity: *capacity, Languages: splitList(*languages), Audiences: splitList(*audiences)}, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %q (id %d)\n", a.Role, a.Username, a.ID)
	if !*fromStdin {
		fmt.Fprintf(stdout, "password: %s\n(give it to them privately; it is not shown again)\n", password)
	}
	return nil
}

func userSetDisabled(ctx context.Context, disabled bool, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: helpline user disable|enable USERNAME")
	}
	return withAccount(ctx, args[0], getenv, stdout, stderr, func(srv *server.Server, a counselors.Account) error {
		if err := srv.Staff.SetDisabled(ctx, a.ID, disabled, 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: disabled=%v\n", a.Username, disabled)
		return nil
	})
}

// withAccount opens the staff side of the configured store, finds the
// account username and runs change on it. "No account" is said only when
// there is none; any other failure (the database away, say) is told as it is.
func withAccount(ctx context.Context, username string, getenv func(string) string, stdout, stderr io.Writer,
	change func(*server.Server, counselors.Account) error) error {
	srv, err := openStaff(ctx, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	a, err := srv.Staff.Account(ctx, username)
	switch {
	case chat.ErrorCode(err) == chat.CodeNotFound:
		return fmt.Errorf("no account %q", username)
	case err != nil:
		return fmt.Errorf("reading account %q: %w", username, err)
	}
	return change(srv, a)
}

func userSet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: helpline user set USERNAME --max-capacity N"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("user set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxCapacity := fs.Int("max-capacity", 0, "the most conversations at once they may choose (1-50)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *maxCapacity == 0 || fs.NArg() > 0 {
		return errors.New(usage)
	}
	return withAccount(ctx, args[0], getenv, stdout, stderr, func(srv *server.Server, a counselors.Account) error {
		a, err := srv.Staff.SetMaxCapacity(ctx, a.ID, *maxCapacity, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: max capacity %d (capacity %d)\n", a.Username, a.MaxCapacity, a.Capacity)
		return nil
	})
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func randomPassword() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
