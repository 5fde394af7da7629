package chat

// isUUID tells whether id can be a conversation id, so that a malformed id
// is "not found" rather than a database error.
func isUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// IsUUID reports whether id has the form of a conversation id, so that a
// feature's PostgreSQL store can answer "not found" without asking.
func IsUUID(id string) bool { return isUUID(id) }
