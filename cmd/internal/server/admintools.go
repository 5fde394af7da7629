package server

import (
	"context"
	"fmt"

	"helpline/chat/riskflag"
	"helpline/counselors/wrapup"
)

// openAdminTools makes what admins edit in the browser versioned and
// shared: the wrap-up form's versions and the risk phrase lists' (the
// loaded ones stored as versions the store lacks), on the database when
// there is one; each instance picks up another's new version within
// HELPLINE_EDITS_CHECK.
func (s *Server) openAdminTools(ctx context.Context) error {
	loaded, err := riskflag.Load(s.Config.RiskPhrasesDir) // as Open read them
	if err != nil {
		return err
	}
	var (
		forms wrapup.FormStore   = wrapup.NewMemoryForms()
		lists riskflag.ListStore = riskflag.NewMemoryLists()
	)
	if s.pool != nil {
		forms, lists = wrapup.NewPostgresForms(s.pool), riskflag.NewPostgresLists(s.pool)
	}
	if w := s.Tools.Wrapups; w != nil {
		if err := w.UseVersions(ctx, forms, s.Config.EditsCheck); err != nil {
			return err
		}
	}
	s.PhraseLists, err = riskflag.NewLibrary(ctx, riskflag.LibraryConfig{Store: lists, Audit: s.Staff, Loaded: loaded,
		Every: s.Config.EditsCheck, Log: s.Log})
	if err != nil {
		return fmt.Errorf("risk phrase lists: %w", err)
	}
	s.RiskFlags.SetLists(s.PhraseLists)
	return nil
}
