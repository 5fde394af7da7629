package referral

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrForbiddenAddress: the partner's host resolved to an address inside
// (loopback, private, link-local, cloud metadata…). The check runs on the
// address actually being connected to, after DNS, so a name that resolves
// to a public address at one moment and an internal one the next (DNS
// rebinding) is refused all the same.
var ErrForbiddenAddress = errors.New("referral: partner address is internal and not allowed")

// forbidden reports whether addr is an address deliveries must never reach.
func forbidden(addr netip.Addr) bool {
	addr = addr.Unmap()
	return !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() || inAny(addr, extraBlocked)
}

// extraBlocked are ranges the netip predicates leave out: carrier-grade
// NAT, "this network", benchmarking, reserved and broadcast, and the
// IPv6 NAT64 and documentation prefixes. 169.254.169.254 (cloud metadata)
// is link-local and already covered.
var extraBlocked = mustPrefixes("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15",
	"240.0.0.0/4", "255.255.255.255/32", "64:ff9b::/96", "2001:db8::/32", "fec0::/10")

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// guardControl is a net.Dialer Control function: it runs after resolution,
// just before connect, with the literal address being dialled.
func guardControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
		}
		addr, err := netip.ParseAddr(host)
		if err != nil || forbidden(addr) {
			return ErrForbiddenAddress
		}
		return nil
	}
}
