package server

import (
	"context"
	"time"
)

// readyTimeout bounds one readiness check, so that a database that hangs
// rather than refuses still answers "not ready" before a load balancer's
// probe gives up.
const readyTimeout = 2 * time.Second

// Readiness checks, each named in a word in /readyz's answer.
const (
	notReadyDraining   = "draining"
	notReadyDatabase   = "database"
	notReadyMigrations = "migrations"
)

// ready tells whether this instance should get new visitors: "" when it
// should, else the check that failed. It is not ready while draining on
// shutdown, while PostgreSQL cannot be reached, and while the database's
// schema is behind this binary's migrations. In memory mode only draining
// counts.
func (s *Server) ready(ctx context.Context) string {
	failed := s.failedCheck(ctx)
	if previous := s.notReady.Swap(&failed); previous == nil || *previous != failed {
		if failed == "" {
			s.Log.Info("ready: new visitors may come")
		} else {
			s.Log.Warn("not ready: new visitors should go elsewhere", "check", failed)
		}
	}
	return failed
}

func (s *Server) failedCheck(ctx context.Context) string {
	if s.draining.Load() {
		return notReadyDraining
	}
	if s.pool == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return notReadyDatabase
	}
	behind, err := s.schema.Behind(ctx)
	switch {
	case err != nil:
		return notReadyDatabase
	case behind:
		return notReadyMigrations
	}
	return ""
}

// drain makes /readyz answer "draining" and, when serving, waits
// Config.DrainDelay so that a load balancer sees it and stops sending new
// visitors before the sockets close.
func (s *Server) drain() {
	s.draining.Store(true)
	s.serving.Lock()
	serving := s.http != nil
	s.serving.Unlock()
	if !serving || s.Config.DrainDelay <= 0 {
		return
	}
	s.Log.Info("draining: /readyz says not ready; sockets close after the drain delay", "delay", s.Config.DrainDelay.String())
	time.Sleep(s.Config.DrainDelay)
}
