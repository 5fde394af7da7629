package main

// The risk flags endpoint in the HTTP authorisation matrix
// (TestAuthorizationMatrixHTTP): a conversation's flags are seeker content,
// so they follow the conversation's read rule.
const riskFlagsEndpoint = "GET /api/staff/conversations/{id}/risk-flags"

// riskFlagsStatus: unauthenticated and seekers 401; a counsellor it is not
// assigned to 404 (as if it did not exist); its counsellor, supervisors
// and admins 200 (each read audited).
func riskFlagsStatus(r role) int {
	switch {
	case !r.isStaff() || !r.authenticates():
		return 401
	case r == roleUnassigned:
		return 404
	}
	return 200
}
