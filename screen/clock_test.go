package screen

import (
	"bytes"
	"fmt"
	"image"
	"testing"
	"time"
)

// A countdown redrawn with RenderClock is pixel for pixel what a full render at the new
// time draws, for every screen with a countdown at every tuned size, each second from
// 5:00 to 0:00 (the colour turns red at 0:30) and for jumps of several seconds; and it
// redraws only the characters that change: within the countdown's rectangle, and on a
// plain tick at most two digits' worth of it.
func TestRenderClockMatchesFullRender(t *testing.T) {
	r := newRenderer(t)
	var withClock []Screen
	for _, s := range Samples(testNow) {
		if !s.Deadline.IsZero() {
			s.Deadline = testNow.Add(5 * time.Minute)
			withClock = append(withClock, s)
		}
	}
	cryptoQR := withClock[0]
	cryptoQR.Lines = []string{"Send 0.00042 BTC", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}
	withClock = append(withClock, cryptoQR)
	if len(withClock) < 3 {
		t.Fatalf("only %d sample screens with a countdown", len(withClock))
	}
	steps := []time.Duration{time.Second, 3 * time.Second, 61 * time.Second}
	for _, s := range withClock {
		for _, sz := range Sizes {
			w, h := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s-%dx%d", s.Kind, w, h), func(t *testing.T) {
				lay := r.Layout(s, w, h)
				for _, step := range steps {
					frame := r.Render(s, w, h, testNow)
					for at := time.Duration(0); at+step <= 5*time.Minute; at += step {
						was, now := testNow.Add(at), testNow.Add(at+step)
						region, ok := r.RenderClock(frame, s, was, now)
						if !ok {
							t.Fatalf("RenderClock %v → %v refused", was, now)
						}
						want := r.Render(s, w, h, now)
						if !bytes.Equal(frame.Pix, want.Pix) {
							t.Fatalf("clock redraw %s → %s differs from a full render", Clock(s, was), Clock(s, now))
						}
						if !region.Empty() && !region.In(lay.Countdown.Inset(-4)) {
							t.Fatalf("redrew %v, outside the countdown %v", region, lay.Countdown)
						}
						if step == time.Second && len(Clock(s, was)) == len(Clock(s, now)) && Clock(s, was)[:4] == Clock(s, now)[:4] && region.Dx() > lay.Countdown.Dx()/2 {
							t.Errorf("tick %s → %s redrew %v: more than the last digit", Clock(s, was), Clock(s, now), region)
						}
					}
				}
			})
		}
	}
	// Without a countdown there is nothing to redraw.
	if _, ok := r.RenderClock(image.NewRGBA(image.Rect(0, 0, 240, 320)), Samples(testNow)[0], testNow, testNow.Add(time.Second)); ok {
		t.Error("RenderClock accepted a screen without a countdown")
	}
}
