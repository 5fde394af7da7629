package report

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// values is what an attacker knowing the policy can tell a published
// figure stands for, up to limit.
func (p Policy) values(f Figure, limit int) []int {
	var out []int
	for raw := 0; raw <= limit; raw++ {
		switch {
		case f.Reason == ReasonComplementary || f.Reason == ReasonWithheld:
			if raw >= p.SuppressBelow {
				out = append(out, raw)
			}
		case p.count(raw) == f:
			out = append(out, raw)
		}
	}
	return out
}

// feasibleSums is every total the published cells (and shown total) of a
// one-dimension table allow.
func (p Policy) feasibleSums(t *PublishedTable, limit int) map[int]bool {
	reach := map[int]bool{0: true}
	for r := range t.Cells {
		next := map[int]bool{}
		for s := range reach {
			for _, v := range p.values(t.Cells[r][0], limit) {
				if s+v <= limit {
					next[s+v] = true
				}
			}
		}
		reach = next
	}
	if !t.Total.Suppressed {
		for s := range reach {
			if p.count(s) != t.Total {
				delete(reach, s)
			}
		}
	}
	return reach
}

// Random linked breakdowns of one population, attacked by brute force:
// every small count that is not shown keeps at least two possible values
// once the tables are protected together; published one by one, some are
// pinned (so the attack is real).
func TestLinkedTablesKeepEverySuppressedCountAmbiguous(t *testing.T) {
	p := DefaultPolicy()
	rng := rand.New(rand.NewPCG(7, 11))
	const limit = 70
	pinnedUnlinked := 0
	for trial := 0; trial < 300; trial++ {
		total := 0
		audience := make([]int, 3)
		for i := range audience {
			audience[i] = []int{0, 1, 2, 5, 8, 9, 12, 13}[rng.IntN(8)]
			total += audience[i]
		}
		if total == 0 {
			continue
		}
		// Two other breakdowns of the same contacts: one cell, and a split in two.
		split := rng.IntN(total + 1)
		tables := []*PublishedTable{publishOne(p, audience), publishOne(p, []int{total}), publishOne(p, []int{split, total - split})}
		if anyPinned(p, tables, limit) {
			pinnedUnlinked++
		}
		ProtectLinked(tables...)
		if anyPinned(p, tables, limit) {
			t.Fatalf("trial %d: audience %v, total %d, split %d: a hidden count is pinned after ProtectLinked: %+v", trial, audience, total, split, tables)
		}
	}
	if pinnedUnlinked == 0 {
		t.Fatal("no trial pinned a count without linking: the attack tests nothing")
	}
}

func publishOne(p Policy, cells []int) *PublishedTable {
	raw, _ := NewRawTable(Outcome)
	for i, n := range cells {
		raw.Add(n, "v"+strconv.Itoa(i))
	}
	pub, _ := Publish(raw, p)
	return &pub
}

// anyPinned attacks every small suppressed cell of every table, with the
// totals every other table allows.
func anyPinned(p Policy, tables []*PublishedTable, limit int) bool {
	for i, t := range tables {
		totals := p.feasibleSums(t, limit)
		for j, other := range tables {
			if j == i {
				continue
			}
			o := p.feasibleSums(other, limit)
			for s := range totals {
				if !o[s] {
					delete(totals, s)
				}
			}
		}
		for r := range t.Cells {
			if t.Cells[r][0].Reason != ReasonSmallCount {
				continue
			}
			if len(cellValues(p, t, r, totals, limit)) < 2 {
				return true
			}
		}
	}
	return false
}

// cellValues is every value cell r can take with the table adding up to
// one of totals.
func cellValues(p Policy, t *PublishedTable, r int, totals map[int]bool, limit int) map[int]bool {
	out := map[int]bool{}
	var walk func(i, sum, hidden int)
	walk = func(i, sum, hidden int) {
		if i == len(t.Cells) {
			if totals[sum] {
				out[hidden] = true
			}
			return
		}
		for _, v := range p.values(t.Cells[i][0], limit) {
			h := hidden
			if i == r {
				h = v
			}
			if sum+v <= limit {
				walk(i+1, sum+v, h)
			}
		}
	}
	walk(0, 0, -1)
	return out
}
