package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Every TestBrowser test calls t.Parallel. A browser test spends most of
// its time waiting (for the page, the server, the other tab), so two side
// by side (go test's -parallel defaults to the number of cores) take little
// more than one. Go runs parallel tests once the sequential ones are done,
// so the package's load-sensitive tests never share the machine with them.
// Each test has servers, ports and browser contexts of its own, and none
// sets environment variables.
//
// One headless Chromium serves every browser test of the package. Starting
// one takes seconds on a busy machine, and most tests used to start one or
// two of their own. A test is still isolated from the others: mustBrowser
// and tab each give it a browser context of its own (cookies, storage,
// cache and service workers of its own), disposed of when the test ends.
var chromium struct {
	mu   sync.Mutex
	ctx  context.Context // the browser; nil before the first test needs it
	stop func()
}

// TestMain closes the package's Chromium (and removes its profile) once
// every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium()
	os.Exit(code)
}

// sharedChromium returns the package's running Chromium, starting it on
// first use, or again if it has gone away (a crash must not fail every test
// after it).
func sharedChromium(path string) (context.Context, error) {
	chromium.mu.Lock()
	defer chromium.mu.Unlock()
	if chromium.ctx != nil && chromium.ctx.Err() == nil {
		return chromium.ctx, nil
	}
	if chromium.stop != nil {
		chromium.stop()
		chromium.ctx, chromium.stop = nil, nil
	}
	dir, err := os.MkdirTemp("", "helpline-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir), // a fresh profile for this package's run
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(420, 900), // a phone-sized window
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	stop := func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
	if err := chromedp.Do(browser); err != nil {
		stop()
		return nil, err
	}
	chromium.ctx, chromium.stop = browser, stop
	return browser, nil
}

func stopChromium() {
	chromium.mu.Lock()
	defer chromium.mu.Unlock()
	if chromium.stop != nil {
		chromium.stop()
	}
	chromium.ctx, chromium.stop = nil, nil
}

// isolated returns a context in a browser context of its own on the shared
// Chromium, for one test; its tab opens on first use.
func isolated(t *testing.T, path string) context.Context {
	t.Helper()
	browser, err := sharedChromium(path)
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		cancel()
		if err := browser.Err(); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("chromium stopped during the test: %v", err)
		}
	})
	return ctx
}
