package counselors

import (
	"context"
	"fmt"
	"strconv"

	"helpline/chat"
)

// MostCapacity is the highest maximum an admin may set: conversations at
// once, the same bound the console offers.
const MostCapacity = 50

// OnMaxCapacity registers what applies a new maximum to a counsellor who is
// on shift right now (the routing presence, shared by every instance).
func (s *Service) OnMaxCapacity(apply func(ctx context.Context, staffID int64, maxCapacity int) error) {
	s.applyMaxCapacity = apply
}

// SetMaxCapacity sets the most conversations account id may take at once.
// Their own choice stays within it: a capacity above it comes down to it,
// now and on shift. actorID is who did it (0: the command line); audited.
func (s *Service) SetMaxCapacity(ctx context.Context, id int64, maxCapacity int, actorID int64) (Account, error) {
	if maxCapacity < 1 || maxCapacity > MostCapacity {
		return Account{}, chat.Errorf(chat.CodeInvalid, "max_capacity must be a whole number from 1 to %d", MostCapacity)
	}
	before, err := s.store.Account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a, err := s.store.SetMaxCapacity(ctx, id, maxCapacity)
	if err != nil {
		return Account{}, err
	}
	s.audit(ctx, actorID, AuditAccountChange, strconv.FormatInt(id, 10),
		fmt.Sprintf("max_capacity=%d (was %d); capacity=%d", a.MaxCapacity, before.MaxCapacity, a.Capacity))
	if s.applyMaxCapacity != nil {
		if err := s.applyMaxCapacity(ctx, id, maxCapacity); err != nil {
			// The account holds it; they get it when they next connect.
			s.log.Error("applying a new maximum capacity to a counsellor on shift failed", "error", err)
		}
	}
	return a, nil
}
