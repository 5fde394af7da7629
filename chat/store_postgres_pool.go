package chat

import (
	"context"
	"runtime"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The message path's own connections. Its one statement (appendSQL) must
// run under its generic plan: PostgreSQL otherwise keeps planning it afresh
// for small batches (it judges a plan for one conversation cheaper than
// the generic one), which costs more than running it. Setting
// plan_cache_mode in every commit's transaction was a second statement per
// commit; a few connections of the store's own carry the setting from the
// start instead, so that every other query, on the shared pool, keeps
// PostgreSQL's choice of plan.
//
// They also never read a table sequentially (enable_seqscan off: the
// planner then takes an index wherever there is one). The generic plan
// guesses ten conversations per batch; on a small conversations table (a
// new deployment, a thousand conversations) a sequential scan of every
// conversation looked cheaper than the primary key, and a generic plan is
// kept until the table is analysed again, while the table grows.

// appendPoolMaxConns bounds the message path's connections: a commit holds
// one while it runs, and the writer runs one commit per worker at a time.
const appendPoolMaxConns = 4

// genericPlanSetting is what the message path's connections set.
const genericPlanSetting = "force_generic_plan"

// newAppendPool returns a pool on the same database, role and search path
// as pool (and with the same hooks), whose connections plan every
// prepared statement generically. Its connections are opened when first
// needed.
func newAppendPool(pool *pgxpool.Pool) (*pgxpool.Pool, error) {
	cfg := pool.Config() // a copy
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = genericPlanSetting
	cfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
	cfg.MaxConns = min(cfg.MaxConns, appendPoolMaxConns)
	cfg.MinConns, cfg.MinIdleConns = 0, 0
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// setAppendPool gives s its own append connections, falling back to the
// shared pool (the statement then runs under whatever plan PostgreSQL
// picks: slower, not wrong) if they cannot be had, which would take a
// configuration the shared pool itself could not have.
func (s *PostgresStore) setAppendPool(pool *pgxpool.Pool) {
	appends, err := newAppendPool(pool)
	if err != nil {
		s.appends = PostgresPool{Pool: pool}
		return
	}
	s.appends = PostgresPool{Pool: appends}
	s.ownAppends = appends
	// A caller that never calls Close (a test, a tool) still gets the
	// connections closed once the store is garbage.
	runtime.AddCleanup(s, func(p *pgxpool.Pool) { p.Close() }, appends)
}

// Close closes the store's own connections (not the pool it was given).
func (s *PostgresStore) Close() {
	if s.ownAppends != nil {
		s.ownAppends.Close()
	}
}
