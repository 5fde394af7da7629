package server

import (
	"context"
	"fmt"
	"time"

	"helpline/chat"
	"helpline/counselors/answers"
	"helpline/counselors/casenotes"
	"helpline/counselors/wrapup"
	"helpline/web"
)

// openTools builds the counsellor's tools (prepared answers, case notes,
// wrap-ups) on the same kind of store as the conversations, loads the
// starting set of answers into an empty store and reads the wrap-up form.
func (s *Server) openTools(ctx context.Context, chatStore chat.Store) (web.Tools, error) {
	form, err := wrapup.LoadForm(s.Config.WrapupForm)
	if err != nil {
		return web.Tools{}, err
	}
	var (
		answerStore answers.Store
		noteStore   casenotes.Store
		wrapupStore wrapup.Store
	)
	if s.pool != nil {
		answerStore, noteStore, wrapupStore = answers.NewPostgresStore(s.pool), casenotes.NewPostgresStore(s.pool, s.sealer), wrapup.NewPostgresStore(s.pool)
	} else {
		mem, ok := chatStore.(*chat.MemoryStore)
		if !ok {
			return web.Tools{}, fmt.Errorf("the tools need the memory chat store without a database")
		}
		exists := func(ctx context.Context, id string) bool { _, err := mem.Conversation(ctx, id); return err == nil }
		notes, wrapups := casenotes.NewMemoryStore(exists), wrapup.NewMemoryStore(exists)
		mem.OnForget(notes.Forget)
		mem.OnForget(wrapups.Forget)
		answerStore, noteStore, wrapupStore = answers.NewMemoryStore(), notes, wrapups
	}
	if _, err := answers.LoadDefaults(ctx, answerStore, time.Now()); err != nil {
		return web.Tools{}, fmt.Errorf("loading the starting prepared answers: %w", err)
	}
	return web.Tools{
		Answers:   answers.New(answerStore, s.Staff, nil),
		CaseNotes: casenotes.New(noteStore, s.Chat, s.Staff, nil),
		Wrapups:   wrapup.New(form, wrapupStore, s.Chat, s.Staff, nil),
	}, nil
}
