package chat

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestMemoryStoreTellsFeaturesWhichConversationsItForgot(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := NewMemoryStore(func() time.Time { return now })
	var forgotten []string
	s.OnForget(func(id string) { forgotten = append(forgotten, id) })

	old, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	kept, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpired(ctx, now.Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1 deleted", n, err)
	}
	if !slices.Equal(forgotten, []string{old.ID}) {
		t.Fatalf("after retention the feature was told %v, want [%s]", forgotten, old.ID)
	}
	if err := s.DeleteConversation(ctx, kept.ID); err == nil {
		t.Fatal("deleting a conversation still open succeeded")
	}
	if len(forgotten) != 1 {
		t.Fatalf("a refused delete told the feature %v", forgotten)
	}
}
