package queue

import (
	"errors"
	"testing"
)

type op struct {
	batch   int // >=0: push a batch with this many danmaku; -1: push reliable; -2: pop
	wantErr error
	// for pops:
	wantBatch   bool
	wantDanmaku int
	wantDropped int
	wantEmpty   bool
}

func TestOutbox(t *testing.T) {
	push := func(n int) op { return op{batch: n} }
	rel := func() op { return op{batch: -1} }
	pop := func(batch bool, danmaku, dropped int) op {
		return op{batch: -2, wantBatch: batch, wantDanmaku: danmaku, wantDropped: dropped}
	}
	empty := op{batch: -2, wantEmpty: true}
	tests := []struct {
		name          string
		frames, limit int
		ops           []op
	}{
		{"fifo", 8, 100, []op{push(3), rel(), push(2), pop(true, 3, 0), pop(false, 0, 0), pop(true, 2, 0), empty}},
		{"drop oldest over limit", 8, 10, []op{push(6), push(6), pop(true, 6, 6), empty}},
		{"drop several oldest", 8, 10, []op{push(4), push(4), push(4), push(8), pop(true, 8, 12), empty}},
		{"reliable kept when batches dropped", 8, 5, []op{push(5), rel(), push(5), pop(false, 0, 0), pop(true, 5, 5), empty}},
		{"empty batches superseded", 8, 100, []op{push(0), push(0), push(0), pop(true, 0, 0), empty}},
		{"ring full of batches", 3, 100, []op{push(1), push(1), push(1), push(1), pop(true, 1, 1), pop(true, 1, 0), pop(true, 1, 0), empty}},
		{"reliable makes room", 2, 100, []op{push(2), rel(), rel(), pop(false, 0, 0), pop(false, 0, 0), push(1), pop(true, 1, 2), empty}},
		{"reliable full", 2, 100, []op{rel(), rel(), {batch: -1, wantErr: ErrFull}, push(3), pop(false, 0, 0), pop(false, 0, 0), push(1), pop(true, 1, 3)}},
		{"dropped reported once", 8, 2, []op{push(2), push(2), pop(true, 2, 2), push(1), pop(true, 1, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := New(tt.frames, tt.limit)
			for i, s := range tt.ops {
				switch s.batch {
				case -1:
					if err := o.PushReliable([]byte("r")); !errors.Is(err, s.wantErr) {
						t.Fatalf("op %d: PushReliable = %v, want %v", i, err, s.wantErr)
					}
				case -2:
					f, dropped, ok := o.Pop()
					if s.wantEmpty {
						if ok {
							t.Fatalf("op %d: Pop = %+v, want empty", i, f)
						}
						continue
					}
					if !ok || f.Batch != s.wantBatch || f.Danmaku != s.wantDanmaku || dropped != s.wantDropped {
						t.Fatalf("op %d: Pop = %+v dropped %d ok %v; want batch %v danmaku %d dropped %d",
							i, f, dropped, ok, s.wantBatch, s.wantDanmaku, s.wantDropped)
					}
				default:
					if err := o.PushBatch(Frame{Data: []byte("b"), Danmaku: s.batch}); err != nil {
						t.Fatalf("op %d: PushBatch: %v", i, err)
					}
				}
			}
		})
	}
}

// Drops the room already reported in a frame survive that frame's loss.
func TestOutboxCarriesRoomDrops(t *testing.T) {
	o := New(8, 10)
	o.PushBatch(Frame{Danmaku: 10, Dropped: 7})
	o.PushBatch(Frame{Danmaku: 0, Dropped: 2}) // superseded below
	o.PushBatch(Frame{Danmaku: 10, Dropped: 1})
	f, dropped, ok := o.Pop()
	if !ok || f.Danmaku != 10 || f.Dropped+dropped != 1+10+7+2 {
		t.Fatalf("Pop = %+v dropped %d; want the last frame reporting 20 lost", f, dropped)
	}
}

func TestOutboxAddDropped(t *testing.T) {
	o := New(4, 10)
	o.AddDropped(5)
	o.PushReliable([]byte("r"))
	o.PushBatch(Frame{Danmaku: 2})
	if _, dropped, _ := o.Pop(); dropped != 0 {
		t.Fatalf("a reliable frame reported %d dropped", dropped)
	}
	if f, dropped, _ := o.Pop(); !f.Batch || dropped != 5 {
		t.Fatalf("batch after AddDropped(5): %+v dropped %d", f, dropped)
	}
}

func TestOutboxClose(t *testing.T) {
	o := New(4, 4)
	o.PushBatch(Frame{Danmaku: 1})
	o.Close()
	if _, _, ok := o.Pop(); ok {
		t.Fatal("frames survive Close")
	}
	if err := o.PushReliable(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("PushReliable after Close = %v", err)
	}
	if err := o.PushBatch(Frame{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("PushBatch after Close = %v", err)
	}
	select {
	case <-o.Ready():
	default:
		t.Fatal("Close did not signal the writer")
	}
}

func BenchmarkPushPop(b *testing.B) {
	o := New(64, 64)
	data := []byte("batch")
	b.ReportAllocs()
	for b.Loop() {
		o.PushBatch(Frame{Data: data, Danmaku: 5})
		o.Pop()
	}
}
