package deposit

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"testing/synctest"
)

// TestBufferPoolCap checks that no more than the pool's cap of buffers is
// out at once: a Get past it waits until a buffer is put back.
func TestBufferPoolCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBufferPool(2, 16)
		a, b := p.Get(), p.Get()
		got := make(chan *[]byte)
		go func() { got <- p.Get() }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a third buffer was handed out past the cap of 2")
		default:
		}
		*a = append(*a, "written"...)
		p.Put(a)
		c := <-got
		if len(*c) != 0 || cap(*c) < 16 {
			t.Errorf("buffer after Put: len %d cap %d, want empty with room for 16", len(*c), cap(*c))
		}
		p.Put(b)
		p.Put(c)
		if n := len(p.slots); n != 0 {
			t.Errorf("%d buffers still counted out after all were put back", n)
		}
	})
}

// spyReader serves data in reads of at most step bytes and records how many
// upload segments were out at each read; it calls first at its first read.
type spyReader struct {
	data  []byte
	step  int
	out   []int
	first func()
}

func (r *spyReader) Read(p []byte) (int, error) {
	r.out = append(r.out, len(segmentPool.slots))
	if r.first != nil {
		r.first()
		r.first = nil
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestSegmentReader checks that segmentReader reads as io.ReadFull does,
// and, when every segment is in use, takes its segment only once the first
// bytes have come: while it waits for them, it holds none.
func TestSegmentReader(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(fmt.Sprintf("pool full %v", full), func(t *testing.T) { testSegmentReader(t, full) })
	}
}

func testSegmentReader(t *testing.T, full bool) {
	// A full pool: the test holds every segment, and gives one back as the
	// body's first bytes come.
	var held []*[]byte
	for full && len(segmentPool.slots) < cap(segmentPool.slots) {
		held = append(held, segmentPool.Get())
	}
	giveOne := func() {
		if len(held) > 0 {
			segmentPool.Put(held[len(held)-1])
			held = held[:len(held)-1]
		}
	}
	defer func() {
		for _, b := range held {
			segmentPool.Put(b)
		}
	}()
	data := make([]byte, 3*probeSize+5)
	for i := range data {
		data[i] = byte(i)
	}
	tests := []struct {
		name       string
		size, step int // bytes the body holds, and gives per read
		want       int // bytes asked for
		n          int
		eof        bool
	}{
		{"one read", len(data), len(data), len(data), len(data), false},
		{"byte by byte", 10, 1, 10, 10, false},
		{"short body", 100, 7, 200, 100, true},
		{"probe only", 50, 64, 50, 50, false},
		{"empty body", 0, 1, 10, 0, true},
		{"past the probe", len(data), 1000, 2 * probeSize, 2 * probeSize, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := &spyReader{data: data[:tt.size], step: tt.step, first: giveOne}
			r := segmentReader{src: spy}
			n, err := r.read(tt.want)
			cur := r.take()
			defer func() {
				if cur != nil {
					segmentPool.Put(cur)
				}
				for full && len(segmentPool.slots) < cap(segmentPool.slots) {
					held = append(held, segmentPool.Get())
				}
			}()
			if n != tt.n || (err != nil) != tt.eof || err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("read %d, %v; want %d, end of body %v", n, err, tt.n, tt.eof)
			}
			if full && spy.out[0] != cap(segmentPool.slots) {
				t.Errorf("%d segments out while waiting for the first bytes, want only the test's %d", spy.out[0], cap(segmentPool.slots))
			}
			if n == 0 {
				if full && cur != nil {
					t.Error("a segment was taken from a full pool for no bytes")
				}
				return
			}
			if !bytes.Equal(*cur, data[:n]) {
				t.Errorf("segment holds %d bytes that differ from the body's first %d", len(*cur), n)
			}
		})
	}
	if n := len(segmentPool.slots); n != len(held) {
		t.Errorf("%d segments out after the test, want the %d held", n, len(held))
	}
}

// TestGetOrStop checks that a Get waiting past the cap gives up once stop
// is closed, and that a closed stop gets nothing even below the cap.
func TestGetOrStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBufferPool(1, 16)
		a := p.Get()
		stop := make(chan struct{})
		got := make(chan *[]byte)
		go func() { got <- p.GetOrStop(stop) }()
		synctest.Wait()
		close(stop)
		if b := <-got; b != nil {
			t.Error("GetOrStop handed out a buffer past the cap")
		}
		p.Put(a)
		if b := p.GetOrStop(stop); b != nil {
			t.Error("GetOrStop handed out a buffer after stop was closed")
		}
		if n := len(p.slots); n != 0 {
			t.Errorf("%d buffers counted out, want 0", n)
		}
	})
}
