//go:build race

package chat

// raceEnabled: the race detector is on, and sync.Pool drops some of what
// it is given (on purpose), so a pooled path allocates now and then.
const raceEnabled = true
