package routing

import (
	"slices"
	"testing"

	"helpline/chat"
)

// A seeker at risk is served before returned conversations and new
// arrivals, however recently they joined.
func TestOrderPutsRiskFirst(t *testing.T) {
	risk := waiting("risk", chat.AudienceSelf, "", 9)
	risk.Priority = PriorityRisk
	returned := waiting("returned", chat.AudienceSelf, "", 1)
	returned.Priority = PriorityReturned
	var got []string
	for _, w := range Order([]Waiting{waiting("new", chat.AudienceSelf, "", 0), returned, risk}) {
		got = append(got, w.ConversationID)
	}
	if want := []string{"risk", "returned", "new"}; !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v", got, want)
	}
}
