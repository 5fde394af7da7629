package counselors

import "time"

// SetRefusalTimer replaces how the end of a minute of refused attempts is
// waited for, so that tests run the summary when they choose.
func SetRefusalTimer(s *Service, after func(d time.Duration, f func())) { s.refusals.after = after }
