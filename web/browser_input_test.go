//go:build browser

package web_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The helpers below act as a person does: they find an element, take its
// box on screen, check that the element is what a person would hit at its
// centre (document.elementFromPoint, through shadow roots), and send a real
// mouse press and release there (Input.dispatchMouseEvent). An element that
// is covered by another one is never clicked: the helper fails the test,
// naming what covers it.

// hitJS is a JS function (el) → {x, y} or {err}: it scrolls el into view,
// waits two frames for the layout to settle, and checks that the topmost
// element at its centre is el or inside it.
const hitJS = `async (el) => {
  if (!el) return {err: 'not found'};
  if (!el.isConnected) return {err: 'not in the page'};
  el.scrollIntoView({block: 'center', inline: 'center'});
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  const a = el.getBoundingClientRect();
  await frame();
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return {err: 'has no size (hidden?)'};
  if (Math.abs(a.left - r.left) > 0.5 || Math.abs(a.top - r.top) > 0.5) return {err: 'is moving'};
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return {err: 'is off screen at ' + x + ',' + y};
  let hit = document.elementFromPoint(x, y);
  while (hit && hit.shadowRoot) {
    const inner = hit.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === hit) break;
    hit = inner;
  }
  for (let n = hit; n; n = n.parentNode || n.host) if (n === el) return {x, y};
  const name = (n) => n ? n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.className && typeof n.className === 'string' ? '.' + n.className.trim().split(/\s+/).join('.') : '') : 'nothing';
  return {err: 'is covered by ' + name(hit) + ' at ' + Math.round(x) + ',' + Math.round(y)};
}`

type hitResult struct {
	X   float64 `json:"x"`
	Y   float64 `json:"y"`
	Err string  `json:"err"`
}

// locate evaluates (hitJS)(expr) in the page (or in the execution context
// ctxID when not 0).
func (p *page) locate(expr string, ctxID runtime.ExecutionContextID) (hitResult, error) {
	opts := []chromedp.EvaluateOption{chromedp.EvalAwaitPromise}
	if ctxID != 0 {
		opts = append(opts, func(ep *runtime.EvaluateParams) { ep.ContextID = ctxID })
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[hitResult](`(`+hitJS+`)(`+expr+`)`, opts...))
}

// click clicks, with a real mouse, the element that the JS expression expr
// returns (it may reach into shadow roots: document.querySelector('x').
// shadowRoot.querySelector('.y')). It waits up to 10 s for the element to
// be on screen, still and uncovered, then fails the test.
func (p *page) click(expr string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last hitResult
	for {
		h, err := p.locate(expr, 0)
		if err == nil && h.Err == "" {
			p.must(chromedp.MouseClickXY(h.X, h.Y))
			return
		}
		last = h
		if err != nil {
			last.Err = err.Error()
		}
		if time.Now().After(deadline) {
			p.fail("cannot click %s: it %s", expr, last.Err)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// clickCSS clicks the first element matching a CSS selector of the page.
func (p *page) clickCSS(sel string) {
	p.t.Helper()
	p.click(`document.querySelector(` + jsString(sel) + `)`)
}

// clickInFrame clicks sel inside the iframe that frameExpr returns, whose
// document URL contains urlPart; the iframe may be of another origin. The
// point is checked twice: in the frame (sel is on top there) and in the
// page (the iframe is on top there).
func (p *page) clickInFrame(frameExpr, urlPart, sel string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for {
		x, y, err := p.frameTarget(frameExpr, urlPart, sel)
		if err == nil {
			p.must(chromedp.MouseClickXY(x, y))
			return
		}
		last = err.Error()
		if time.Now().After(deadline) {
			p.fail("cannot click %s in frame %s: %s", sel, frameExpr, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *page) frameTarget(frameExpr, urlPart, sel string) (float64, float64, error) {
	ctxID, err := p.frameContext(urlPart)
	if err != nil {
		return 0, 0, err
	}
	// The frame's box in the page: content edge (border and padding inside).
	box, err := evalJS[struct{ L, T float64 }](p, `(() => { const f = `+frameExpr+`; if (!f) return null; f.scrollIntoView({block: 'center'});
      const r = f.getBoundingClientRect(), cs = getComputedStyle(f);
      return {L: r.left + f.clientLeft + parseFloat(cs.paddingLeft), T: r.top + f.clientTop + parseFloat(cs.paddingTop)}; })()`)
	if err != nil {
		return 0, 0, fmt.Errorf("frame box: %w", err)
	}
	in, err := p.locate(`document.querySelector(`+jsString(sel)+`)`, ctxID)
	if err != nil {
		return 0, 0, err
	}
	if in.Err != "" {
		return 0, 0, fmt.Errorf("in the frame, %s %s", sel, in.Err)
	}
	x, y := box.L+in.X, box.T+in.Y
	// In the page, the frame itself must be on top at that point.
	top, err := evalJS[string](p, fmt.Sprintf(`(() => { const f = %s; let hit = document.elementFromPoint(%f, %f);
      while (hit && hit.shadowRoot) { const i = hit.shadowRoot.elementFromPoint(%f, %f); if (!i || i === hit) break; hit = i; }
      return hit === f ? '' : 'the frame is covered by ' + (hit ? hit.tagName + '.' + hit.className : 'nothing'); })()`, frameExpr, x, y, x, y))
	if err != nil {
		return 0, 0, err
	}
	if top != "" {
		return 0, 0, fmt.Errorf("%s", top)
	}
	return x, y, nil
}

// frameContext creates an isolated world in the page's frame whose URL
// contains urlPart and returns its execution context.
func (p *page) frameContext(urlPart string) (runtime.ExecutionContextID, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	var id runtime.ExecutionContextID
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tree, err := cdp.Call(ctx, t, cdppage.GetFrameTree, cdp.Empty{})
		if err != nil {
			return err
		}
		var frameID cdp.FrameID
		var walk func(ft *cdppage.FrameTree)
		walk = func(ft *cdppage.FrameTree) {
			if ft == nil || frameID != "" {
				return
			}
			if ft.Frame != nil && strings.Contains(ft.Frame.URL, urlPart) {
				frameID = ft.Frame.ID
			}
			for _, c := range ft.ChildFrames {
				walk(c)
			}
		}
		walk(tree.FrameTree)
		if frameID == "" {
			return fmt.Errorf("no frame with %q in its URL", urlPart)
		}
		w, err := cdp.Call(ctx, t, cdppage.CreateIsolatedWorld, cdppage.CreateIsolatedWorldParams{FrameID: frameID, WorldName: "livesell-test"})
		if err != nil {
			return err
		}
		id = w.ExecutionContextID
		return nil
	}))
	return id, err
}

// frameEval evaluates a JS expression in the frame whose URL contains urlPart.
func frameEval[T any](p *page, urlPart, expr string) (T, error) {
	var zero T
	id, err := p.frameContext(urlPart)
	if err != nil {
		return zero, err
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise, func(ep *runtime.EvaluateParams) { ep.ContextID = id }))
}

// typeText clicks the field expr returns and types text with real key
// events (a trailing "\r" presses Enter).
func (p *page) typeText(expr, text string) {
	p.t.Helper()
	p.click(expr)
	p.waitFor(5*time.Second, `(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a === (`+expr+`); })()`, "focus in the field")
	p.must(chromedp.KeyEvent(text))
}

// key presses one key (kb constant or character) on whatever has focus.
func (p *page) key(k string, opts ...chromedp.KeyOption) {
	p.t.Helper()
	p.must(chromedp.KeyEvent(k, opts...))
}

// fill replaces the text of the field expr returns: a real click, Ctrl+A,
// then the text as key events (which replace the selection).
func (p *page) fill(expr, text string) {
	p.t.Helper()
	p.click(expr)
	p.waitFor(5*time.Second, `(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a === (`+expr+`); })()`, "focus in the field")
	p.must(chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	if text == "" {
		p.must(chromedp.KeyEvent(kb.Backspace))
		return
	}
	p.must(chromedp.KeyEvent(text))
}
