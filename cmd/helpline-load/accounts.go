package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Credential is a staff account the generator signs in with.
type Credential struct {
	Username, Password string
}

// AccountMaker creates n counsellor accounts of the given capacity, named
// after runID so that repeated runs do not collide.
type AccountMaker func(ctx context.Context, runID string, n, capacity int) ([]Credential, error)

// CounselorUsername is the name of the i-th counsellor of a run.
func CounselorUsername(runID string, i int) string { return fmt.Sprintf("load-c-%s-%d", runID, i) }

// adminAccounts returns an AccountMaker that signs in as admin ("user:password")
// and creates counsellors through POST /api/admin/accounts, as an
// administrator would in the console.
func adminAccounts(nw *network, admin string) AccountMaker {
	return func(ctx context.Context, runID string, n, capacity int) ([]Credential, error) {
		user, password, ok := strings.Cut(admin, ":")
		if !ok || user == "" || password == "" {
			return nil, fmt.Errorf("--admin: want user:password of an admin account")
		}
		in, err := nw.signIn(ctx, user, password)
		if err != nil {
			return nil, fmt.Errorf("signing in as admin %q: %w", user, err)
		}
		creds := make([]Credential, n)
		// Each account costs the server one argon2id hash (64 MiB, both
		// cores), so two at a time is as fast as it gets.
		err = parallel(ctx, n, 2, func(i int) error {
			c := Credential{Username: CounselorUsername(runID, i), Password: randomSecret()}
			body := map[string]any{"username": c.Username, "display_name": fmt.Sprintf("Load %d", i), "role": "counselor",
				"password": c.Password, "capacity": capacity, "languages": []string{"es", "en"}, "audiences": []string{"self", "young", "other"}}
			if err := nw.postJSON(ctx, "/api/admin/accounts", in.Token, body, http.StatusCreated, nil); err != nil {
				return fmt.Errorf("creating %s: %w", c.Username, err)
			}
			creds[i] = c
			return nil
		})
		nw.postJSON(context.WithoutCancel(ctx), "/api/staff/logout", in.Token, struct{}{}, http.StatusNoContent, nil)
		return creds, err
	}
}

func randomSecret() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewRunID returns a short id that names this run's accounts.
func NewRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// parallel runs f(0..n-1) on at most workers goroutines and returns the
// first error (the remaining calls are skipped once one fails).
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
		failed   atomic.Bool
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}
