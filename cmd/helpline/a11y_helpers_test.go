package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The accessibility checks: axe-core, vendored in testdata/axe at a pinned
// version, runs inside the page under test in the headless Chromium the
// browser tests use. The script goes in through the DevTools protocol
// (Runtime.evaluate), which the pages' strict Content-Security-Policy does
// not govern, so the pages are checked exactly as they are served.

// axeSHA256 is the sha256 of testdata/axe/axe.min.js (see its README.md):
// a changed file fails the suite instead of checking with something else.
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// a11yImpacts are the impacts that fail a page: axe's critical, serious and
// moderate. Minor findings are not failures.
var a11yImpacts = []string{"critical", "serious", "moderate"}

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		return "", fmt.Errorf("reading the vendored axe-core: %w", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != axeSHA256 {
		return "", fmt.Errorf("testdata/axe/axe.min.js has sha256 %x, want %s: update axeSHA256 and testdata/axe/README.md together with the file", sum, axeSHA256)
	}
	return string(b), nil
})

// axeViolation is one rule that failed, with the elements it failed on.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  json.RawMessage `json:"target"` // selectors; an array per frame level inside frames
		HTML    string          `json:"html"`
		Summary string          `json:"failureSummary"`
	} `json:"nodes"`
}

// String reads as a to-do item: rule, impact, where, what to fix, and the
// rule's page at Deque.
func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n    %s\n", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "    at %s\n      %.200s\n", n.Target, n.HTML)
		for line := range strings.Lines(n.Summary) {
			fmt.Fprintf(&b, "      %s", strings.TrimRight(line, "\n")+"\n")
		}
	}
	return b.String()
}

// a11yReviewed are rules whose failures axe files as "needs review"
// (incomplete) rather than as violations, which fail here all the same:
// an id that ARIA or a label points at, given twice, points at the wrong
// element for everyone using a screen reader.
var a11yReviewed = []string{"duplicate-id-aria"}

// axeRun runs axe over the whole document, frames included, and returns the
// violations of a11yImpacts and the incomplete results of a11yReviewed. axe
// must be in every frame already (axeInject).
const axeRun = `(async () => {
	const impacts = %s, reviewed = %s;
	const r = await axe.run(document, {resultTypes: ['violations', 'incomplete'], iframes: true, frameWaitTime: 10000});
	const failed = r.violations.filter((v) => impacts.includes(v.impact))
		.concat(r.incomplete.filter((v) => reviewed.includes(v.id) && v.nodes.length > 0));
	return failed.map((v) => ({
		id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map((n) => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
	}));
})()`

// a11yFrames remembers each frame's main JavaScript context in a tab, so
// that axe can go into frames too (the page without JavaScript shows its
// messages in one).
type a11yFrames struct {
	mu       sync.Mutex
	contexts map[cdp.FrameID]string // the context's unique id
}

// watchFrames starts remembering the tab's frames' contexts; call it before
// the tab's first navigation.
func watchFrames(t *testing.T, ctx context.Context) *a11yFrames {
	t.Helper()
	f := &a11yFrames{contexts: map[cdp.FrameID]string{}}
	err := chromedp.Listen(ctx, func(ev any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExecutionContextCreated:
			var aux struct {
				FrameID   cdp.FrameID `json:"frameId"`
				IsDefault bool        `json:"isDefault"`
			}
			if json.Unmarshal(ev.Context.AuxData, &aux) == nil && aux.IsDefault {
				f.contexts[aux.FrameID] = ev.Context.UniqueID
			}
		case *runtime.EventExecutionContextDestroyed:
			for id, c := range f.contexts {
				if c == ev.ExecutionContextUniqueID {
					delete(f.contexts, id)
				}
			}
		case *runtime.EventExecutionContextsCleared:
			clear(f.contexts)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// childFrames lists the frames below the top one.
func childFrames(ctx context.Context, tg *chromedp.Target) ([]cdp.FrameID, error) {
	tree, err := cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	var ids []cdp.FrameID
	var walk func(children []*page.FrameTree)
	walk = func(children []*page.FrameTree) {
		for _, c := range children {
			ids = append(ids, c.Frame.ID)
			walk(c.ChildFrames)
		}
	}
	walk(tree.FrameTree.ChildFrames)
	return ids, nil
}

// contextOf waits (briefly: the event may still be on its way) for the
// main script context of a frame.
func (f *a11yFrames) contextOf(ctx context.Context, id cdp.FrameID) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		c, ok := f.contexts[id]
		f.mu.Unlock()
		if ok {
			return c, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("frame %s has no script context after 5 s", id)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// axeInject puts axe into the page and each of its frames that lacks it.
func (f *a11yFrames) axeInject(src string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		inject := func(opts ...chromedp.EvaluateOption) error {
			has, err := chromedp.Evaluate[bool](`typeof window.axe === 'object'`, opts...)(ctx, tg)
			if err != nil || has {
				return err
			}
			_, err = chromedp.Evaluate[chromedp.Void](src, opts...)(ctx, tg)
			return err
		}
		if err := inject(); err != nil {
			return chromedp.Void{}, fmt.Errorf("injecting axe: %w", err)
		}
		frames, err := childFrames(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		for _, id := range frames {
			c, err := f.contextOf(ctx, id)
			if err != nil {
				return chromedp.Void{}, err
			}
			if err := inject(func(p *runtime.EvaluateParams) { p.UniqueContextID = c }); err != nil {
				return chromedp.Void{}, fmt.Errorf("injecting axe into frame %s: %w", id, err)
			}
		}
		return chromedp.Void{}, nil
	}
}

// axeViolations runs axe over the page as it is now, frames included.
func axeViolations(ctx context.Context, f *a11yFrames) ([]axeViolation, error) {
	src, err := axeSource()
	if err != nil {
		return nil, err
	}
	run := chromedp.Evaluate[[]axeViolation](fmt.Sprintf(axeRun, mustJSONString(a11yImpacts), mustJSONString(a11yReviewed)), chromedp.EvalAwaitPromise)
	return chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]axeViolation, error) {
		if _, err := f.axeInject(src)(ctx, tg); err != nil {
			return nil, err
		}
		return run(ctx, tg)
	})
}

// a11yReport is the failure message for a page state's violations.
func a11yReport(state string, violations []axeViolation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d accessibility violation(s) of impact %s:\n", state, len(violations), strings.Join(a11yImpacts, ", "))
	for _, v := range violations {
		b.WriteString("  " + v.String())
	}
	return b.String()
}

// a11yAllowance is a violation a state may show because the page itself
// offers the remedy, which axe cannot see. Each is narrow: one rule, and
// only on elements inside one element of the page.
type a11yAllowance struct{ Rule, Within, Why string }

// covers reports whether every element v failed on is inside a.Within.
func (a a11yAllowance) covers(v axeViolation) bool {
	if v.ID != a.Rule {
		return false
	}
	for _, n := range v.Nodes {
		var target []any
		if json.Unmarshal(n.Target, &target) != nil || len(target) < 2 || target[0] != a.Within {
			return false
		}
	}
	return true
}

// a11yCheck fails the test (and goes on with the next state) with every
// violation on the page as it is now, named by state, e.g. "seeker chat
// (en)", but for those an allowance covers (logged, with why).
func a11yCheck(t *testing.T, ctx context.Context, f *a11yFrames, state string, allowed ...a11yAllowance) {
	t.Helper()
	began := time.Now()
	found, err := axeViolations(ctx, f)
	if err != nil {
		t.Fatalf("%s: running axe: %v", state, err)
	}
	var violations []axeViolation
	for _, v := range found {
		if i := slices.IndexFunc(allowed, func(a a11yAllowance) bool { return a.covers(v) }); i >= 0 {
			t.Logf("%s: allowed %s inside %s: %s", state, v.ID, allowed[i].Within, allowed[i].Why)
			continue
		}
		violations = append(violations, v)
	}
	t.Logf("%s: axe took %s", state, time.Since(began).Round(time.Millisecond))
	if len(violations) > 0 {
		t.Error(a11yReport(state, violations))
	}
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// a11yPage is one tab under test: a page with JavaScript, which switches
// language with its own switcher, or one without (scripts off in the tab,
// as Tor Browser's "Safest"), which switches with its language links.
type a11yPage struct {
	t      *testing.T
	ctx    context.Context
	frames *a11yFrames
	noJS   bool
	// allowed are the allowances of the states being checked (usually none).
	allowed []a11yAllowance
}

func newA11yPage(t *testing.T, browser context.Context, noJS bool) *a11yPage {
	t.Helper()
	// A tab as tab() makes, with time for a whole journey on a busy machine.
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	p := &a11yPage{t: t, ctx: ctx, noJS: noJS}
	p.frames = watchFrames(t, p.ctx)
	if noJS {
		browse(t, p.ctx, "scripts off", scripts(false))
	}
	return p
}

// do runs steps, failing the test with the page's content.
func (p *a11yPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	browse(p.t, p.ctx, what, steps...)
}

// a11yWait waits until a JavaScript expression is true, polling from Go:
// unlike chromedp.Poll it works in a tab whose scripts are off.
func a11yWait(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("still not true after 15 s: %s (%v)", expr, err)
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return chromedp.Void{}, err
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// a11yOther is the other language of the two the suite checks.
func a11yOther(lang string) string {
	if lang == "es" {
		return "en"
	}
	return "es"
}

// both checks the page in its language now, then switches to the other
// language, waits for ready and checks it again: each state in es and en.
func (p *a11yPage) both(state string, ready ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	lang := value(p.t, p.ctx, "page language", chromedp.Evaluate[string](`document.documentElement.lang`))
	p.check(state + " (" + lang + ")")
	other := a11yOther(lang)
	steps := []chromedp.Action[chromedp.Void]{chooseLanguage(other)}
	if p.noJS {
		steps = []chromedp.Action[chromedp.Void]{click(`a.lang-link[hreflang="` + other + `"]`)}
	}
	steps = append(steps, a11yWait(`document.documentElement.lang === `+uiJS(other)))
	p.do(state+": switching to "+other, append(steps, ready...)...)
	p.check(state + " (" + other + ")")
}

// check runs axe over the page now. A page without JavaScript is checked
// with scripts back on for the moment axe runs (axe is a script; the page
// drawn with scripts off stays as it was drawn).
func (p *a11yPage) check(state string) {
	p.t.Helper()
	if p.noJS {
		p.do("scripts on for axe", scripts(true))
		defer p.do("scripts off again", scripts(false))
	}
	a11yCheck(p.t, p.ctx, p.frames, state, p.allowed...)
}
