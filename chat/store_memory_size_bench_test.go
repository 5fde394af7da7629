package chat_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"helpline/chat"
)

// BenchmarkMemoryStoreRetained measures what the memory store keeps for the
// messages it holds, the way the paired workload fills it: 5,000 assigned
// conversations, 25 messages each (seeker and counsellor in turn, ~200-byte
// bodies, UUID client ids as the web client makes them), appended in
// batches of 16 messages of different conversations as the writer does.
// One op builds one such store. Reported per message stored: the heap it
// retains after a collection (B/msg), the heap objects (objects/msg) and
// the heap bytes the collector has to scan (scan-B/msg); and, for the
// whole heap with that store live, the wall time of a forced collection
// (gc-ms, load-dependent) and the CPU its mark phase took (mark-cpu-ms);
// and what storing allocated per message, beyond what making the requests
// did (alloc-B/msg, allocs/msg).
func BenchmarkMemoryStoreRetained(b *testing.B) {
	const convs, perConv, batchSize = 5000, 25, 16
	ctx := context.Background()
	body := strings.Repeat("a message of about two hundred bytes, ", 6)[:200]
	request := func(id string, n, i int) chat.Append {
		a := chat.Append{ConversationID: id, Sender: chat.SenderSeeker, Kind: chat.KindText,
			ClientID: chat.NewID(), Body: strings.Clone(body)} // fresh strings, as decoding a frame makes them
		if n%2 == 1 {
			a.Sender, a.SenderID, a.Name = chat.SenderCounselor, int64(i+1), fmt.Sprintf("Counsellor %d", i+1)
		}
		return a
	}
	var perMsg, objects, scan, gcMs, markMs, allocB, allocs float64
	for b.Loop() {
		s := chat.NewMemoryStore(nil)
		ids := make([]string, convs)
		for i := range ids {
			c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.Assign(ctx, c.ID, int64(i+1), fmt.Sprintf("Counsellor %d", i+1), 1); err != nil {
				b.Fatal(err)
			}
			ids[i] = c.ID
		}
		unstored := heapNow()
		for n := range perConv { // the requests alone, to subtract their allocation
			for i, id := range ids {
				runtime.KeepAlive(request(id, n, i))
			}
		}
		before := heapNow()
		batch := make([]chat.Append, 0, batchSize)
		for n := range perConv {
			for i, id := range ids {
				if batch = append(batch, request(id, n, i)); len(batch) == batchSize || i == len(ids)-1 {
					for _, res := range s.AppendBatch(ctx, batch) {
						if res.Err != nil || res.Duplicate {
							b.Fatalf("append: %+v", res)
						}
					}
					clear(batch)
					batch = batch[:0]
				}
			}
		}
		after := heapNow()
		m := float64(convs * perConv)
		perMsg += float64(after.alloc-before.alloc) / m
		objects += float64(after.objects-before.objects) / m
		allocB += float64((after.total-before.total)-(before.total-unstored.total)) / m
		allocs += float64((after.mallocs-before.mallocs)-(before.mallocs-unstored.mallocs)) / m
		scan += float64(after.scan-before.scan) / m
		g, mark := timeGC()
		gcMs += g
		markMs += mark
		runtime.KeepAlive(s)
	}
	n := float64(b.N)
	b.ReportMetric(perMsg/n, "B/msg")
	b.ReportMetric(objects/n, "objects/msg")
	b.ReportMetric(scan/n, "scan-B/msg")
	b.ReportMetric(gcMs/n, "gc-ms")
	b.ReportMetric(markMs/n, "mark-cpu-ms")
	b.ReportMetric(allocB/n, "alloc-B/msg")
	b.ReportMetric(allocs/n, "allocs/msg")
}

type heapFigures struct{ alloc, objects, scan, total, mallocs int64 }

// heapNow collects and then reads the live heap.
func heapNow() heapFigures {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sample := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(sample)
	return heapFigures{int64(ms.HeapAlloc), int64(ms.HeapObjects), int64(sample[0].Value.Uint64()),
		int64(ms.TotalAlloc), int64(ms.Mallocs)}
}

// timeGC forces five collections and returns the median wall time of one
// and the mean CPU its mark phase used, in milliseconds.
func timeGC() (wallMs, markCPUMs float64) {
	names := []string{"/cpu/classes/gc/mark/assist:cpu-seconds", "/cpu/classes/gc/mark/dedicated:cpu-seconds",
		"/cpu/classes/gc/mark/idle:cpu-seconds"}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	markCPU := func() float64 {
		metrics.Read(samples)
		t := 0.0
		for _, s := range samples {
			t += s.Value.Float64()
		}
		return t
	}
	const runs = 5
	runtime.GC()
	walls := make([]float64, runs)
	cpu0 := markCPU()
	for i := range walls {
		start := time.Now()
		runtime.GC()
		walls[i] = float64(time.Since(start)) / 1e6
	}
	cpu := (markCPU() - cpu0) * 1e3 / runs
	slices.Sort(walls)
	return walls[runs/2], cpu
}

// BenchmarkMemoryStoreDeleteExpired times a retention run that erases 500
// of 5,000 conversations of 25 messages each, all under the store's lock
// (every append waits for it). One op is one DeleteExpired.
func BenchmarkMemoryStoreDeleteExpired(b *testing.B) {
	const convs, perConv, expired = 5000, 25, 500
	ctx := context.Background()
	body := strings.Repeat("x", 200)
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		now := start
		s := chat.NewMemoryStore(func() time.Time { return now })
		ids := make([]string, convs)
		for i := range ids {
			if i == expired {
				now = now.Add(time.Hour)
			}
			c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = c.ID
		}
		for range perConv {
			for _, id := range ids {
				s.AppendBatch(ctx, []chat.Append{{ConversationID: id, Sender: chat.SenderSeeker, ClientID: chat.NewID(), Body: body}})
			}
		}
		b.StartTimer()
		if n, err := s.DeleteExpired(ctx, start.Add(time.Minute)); err != nil || n != expired {
			b.Fatalf("DeleteExpired = %d, %v", n, err)
		}
	}
}

// BenchmarkMemoryStoreDeleteConversation times a seeker's erasure of one
// ended conversation in a store holding 5,000 of 25 messages each (run it
// with -benchtime=100x: each op erases another one).
func BenchmarkMemoryStoreDeleteConversation(b *testing.B) {
	const convs, perConv = 5000, 25
	ctx := context.Background()
	body := strings.Repeat("x", 200)
	s := chat.NewMemoryStore(nil)
	ids := make([]string, convs)
	for i := range ids {
		c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	for range perConv {
		for _, id := range ids {
			s.AppendBatch(ctx, []chat.Append{{ConversationID: id, Sender: chat.SenderSeeker, ClientID: chat.NewID(), Body: body}})
		}
	}
	for _, id := range ids {
		if _, _, err := s.End(ctx, id, chat.EndedBySeeker); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if i == len(ids) {
			b.Fatal("no conversation left to erase: run fewer ops")
		}
		if err := s.DeleteConversation(ctx, ids[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
